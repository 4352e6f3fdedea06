import { Layer } from "effect"
import { ServiceLive } from "./main/Service.ts"
import { runEntryPoint } from "./main/startup.ts"

// `npm start`: the one place that knows every adapter (ARCHITECTURE.md).
runEntryPoint(Layer.launch(ServiceLive))
