import { Layer } from "effect"
import { ServiceLive } from "./main/Service.ts"
import { runEntryPoint } from "./main/startup.ts"
import { TracingFromSettings } from "./main/tracing.ts"

// `npm start`: the one place that knows every adapter (ARCHITECTURE.md). Tracing is built first and closed
// last, so the spans of shutdown are exported too.
runEntryPoint(Layer.launch(ServiceLive.pipe(Layer.provide(TracingFromSettings))))
