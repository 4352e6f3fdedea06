import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { ServiceLive } from "./main/Service.ts"

// `npm start`: the one place that knows every adapter (ARCHITECTURE.md).
NodeRuntime.runMain(Layer.launch(ServiceLive))
