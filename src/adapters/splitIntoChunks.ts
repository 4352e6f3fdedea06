import type { RecursiveCharacterTextSplitter } from "@langchain/textsplitters"
import { Effect } from "effect"

/** The longest chunk, in characters: a few paragraphs, so a hit is specific and five fit in a prompt. */
export const chunkSize = 1000

/** How much of the end of one chunk the next one repeats, so a sentence cut at a border is whole in one of them. */
export const chunkOverlap = 200

// Loaded on first use: LangChain's modules cost a second at startup, which `ast validate` should not pay.
let splitter: Promise<RecursiveCharacterTextSplitter> | undefined
const loadSplitter = () =>
  (splitter ??= import("@langchain/textsplitters").then(({ RecursiveCharacterTextSplitter }) => new RecursiveCharacterTextSplitter({ chunkSize, chunkOverlap })))

/**
 * A document's text as overlapping chunks, cut at paragraph, then line, then word borders where it can
 * (the same split for every adapter, so a document has the same chunks wherever it is stored).
 */
export const splitIntoChunks = (text: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(() => loadSplitter().then((s) => s.splitText(text))).pipe(
    Effect.map((chunks) => (chunks.length > 0 ? chunks : [text.trim()])),
    Effect.withSpan("splitIntoChunks")
  )
