import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"

/** An embeddings model (`AST_EMBEDDINGS_MODEL`): texts to vectors, for the knowledge base's hybrid search. */
export class Embeddings extends Context.Tag("ast/Embeddings")<Embeddings, {
  /** The model as configured (`openai:text-embedding-3-small`); vectors of different models are never compared. */
  readonly model: string
  /** One vector per text, in order. */
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, Unavailable>
}>() {}
