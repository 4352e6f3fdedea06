import type { ToolName } from "../../domain/Agent.ts"

/** What the model is told about each tool of §6.1 (OpenAI's function format; Anthropic's adapter converts it). */
const specs: Record<ToolName, { readonly description: string; readonly parameters: Record<string, unknown> }> = {
  send_whatsapp: {
    description: "Sends a WhatsApp message now. Answers the messageId, or the error.",
    parameters: {
      type: "object",
      properties: {
        message: { type: "string", description: "the text to send" },
        phone: { type: "string", description: "who to send it to; defaults to the person you are talking with" }
      },
      required: ["message"]
    }
  },
  search_docs: {
    description: "Searches the organization's knowledge base. Answers the 5 best passages with their document titles.",
    parameters: { type: "object", properties: { query: { type: "string", description: "what to look for" } }, required: ["query"] }
  },
  check_instance_status: {
    description: "Answers the status of a WhatsApp instance (connected, disconnected, ...).",
    parameters: { type: "object", properties: { instanceId: { type: "string", description: "defaults to this conversation's instance" } } }
  },
  human_escalation: {
    description: "Hands the conversation to a human agent; the bot stops answering this thread until it is resumed.",
    parameters: {
      type: "object",
      properties: {
        reason: { type: "string", description: "why a human is needed" },
        context: { type: "string", description: "a short summary for the human agent" }
      },
      required: ["reason"]
    }
  }
}

/** The tools to bind to the model. */
export const toolSpecs = (names: ReadonlyArray<ToolName>) =>
  names.map((name) => ({ type: "function" as const, function: { name, ...specs[name] } }))
