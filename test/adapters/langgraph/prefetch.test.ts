import { type BaseCheckpointSaver, emptyCheckpoint, MemorySaver } from "@langchain/langgraph-checkpoint"
import type { RunnableConfig } from "@langchain/core/runnables"
import { describe, expect, it } from "vitest"
import { withPrefetch } from "../../../src/adapters/langgraph/Checkpointer.ts"

/** LangGraph's MemorySaver, counting the reads it really makes (and failing them while `failing`). */
class CountingSaver extends MemorySaver {
  reads = 0
  failing = false
  override async getTuple(config: RunnableConfig) {
    this.reads++
    if (this.failing) throw new Error("the database is away")
    return super.getTuple(config)
  }
}

const latest = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: "" } })

/** Saves a checkpoint whose only channel holds `text`; answers its id. */
const save = async (saver: BaseCheckpointSaver, threadId: string, text: string) => {
  const checkpoint = { ...emptyCheckpoint(), channel_values: { said: text }, channel_versions: { said: 1 } }
  await saver.put(latest(threadId), checkpoint, { source: "loop", step: 0, parents: {} }, { said: 1 })
  return checkpoint.id
}

describe("prefetched thread memory", () => {
  it("the next read of the thread's latest checkpoint takes the read started earlier, once", async () => {
    const inner = new CountingSaver()
    const { saver, prefetch } = withPrefetch(inner)
    const id = await save(saver, "t1", "oi")
    prefetch("t1")
    expect(inner.reads).toBe(1)
    expect((await saver.getTuple(latest("t1")))?.checkpoint.id).toBe(id)
    expect(inner.reads).toBe(1)
    // Taken once: the next read is the saver's own.
    expect((await saver.getTuple(latest("t1")))?.checkpoint.id).toBe(id)
    expect(inner.reads).toBe(2)
    // Another thread, or a checkpoint asked by id, is never answered from it.
    prefetch("t1")
    await saver.getTuple(latest("t2"))
    await saver.getTuple({ configurable: { thread_id: "t1", checkpoint_ns: "", checkpoint_id: id } })
    expect(inner.reads).toBe(5)
  })

  it("a write to the thread after the read started drops it: the turn sees the newest memory", async () => {
    const inner = new CountingSaver()
    const { saver, prefetch } = withPrefetch(inner)
    await save(saver, "t1", "first")
    prefetch("t1")
    const newer = await save(saver, "t1", "second")
    expect((await saver.getTuple(latest("t1")))?.checkpoint.id).toBe(newer)
    expect(inner.reads).toBe(2)
    prefetch("t1")
    await saver.deleteThread("t1")
    expect(await saver.getTuple(latest("t1"))).toBeUndefined()
  })

  it("a prefetch that failed is read again by the turn, which sees the outcome of its own read", async () => {
    const inner = new CountingSaver()
    const { saver, prefetch } = withPrefetch(inner)
    const id = await save(saver, "t1", "oi")
    inner.failing = true
    prefetch("t1")
    inner.failing = false
    expect((await saver.getTuple(latest("t1")))?.checkpoint.id).toBe(id)
    expect(inner.reads).toBe(2)
  })
})
