/** Workflow documents for the interpreter benchmark: a transform chain and a seeded random DAG. */

type Json = unknown

const document = (nodes: ReadonlyArray<Json>, edges: ReadonlyArray<Json>) => ({ name: "bench", graph: { nodes, edges } })

const trigger = { id: "start", type: "trigger" }

/** trigger → t1 → … → t<length>; each transform reads `vars`, its predecessor's output and the input. */
export const chainDocument = (length: number) => {
  const nodes: Array<Json> = [trigger]
  const edges: Array<Json> = []
  let previous = trigger.id
  for (let i = 1; i <= length; i++) {
    const id = `t${i}`
    nodes.push({
      id,
      type: "transform",
      config: {
        set: {
          x: { "+": [{ var: ["vars.x", 0] }, 1] },
          y: { "*": [{ var: [`nodes.${previous}.output.x`, 0] }, 2] },
          label: { cat: ["step ", { var: ["vars.x", 0] }, " for ", { var: "input.sender.name" }] },
          size: { if: [{ ">": [{ var: ["vars.x", 0] }, length / 2] }, "big", "small"] },
          greeted: { in: ["oi", { var: "input.aggregatedInput" }] }
        }
      }
    })
    edges.push({ from: previous, to: id })
    previous = id
  }
  return document(nodes, edges)
}

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `size` nodes (the trigger included), listed in topological order. Each node after the trigger has 1–3
 * incoming edges from transforms (or the trigger) among the previous `window` nodes, so every node runs.
 * About 2% are conditions; each sends its `true` and `false` edge to two later nodes, adding an arrival
 * to one of them and a dead edge to the other.
 */
export const randomDagDocument = (size: number, seed: number, window = 200) => {
  const random = prng(seed)
  const pick = (from: number, to: number) => from + Math.floor(random() * (to - from))
  const id = (i: number) => (i === 0 ? trigger.id : `n${i}`)
  const isCondition = Array.from({ length: size }, (_, i) => i > 0 && i < size - window && random() < 0.02)
  const nodes: Array<Json> = [trigger]
  const edges: Array<Json> = []
  for (let i = 1; i < size; i++) {
    const wanted = 1 + Math.floor(random() * 3)
    const parents: Array<number> = []
    for (let tries = 0; parents.length < wanted && tries < 20; tries++) {
      const p = pick(Math.max(0, i - window), i)
      if (!isCondition[p] && !parents.includes(p)) parents.push(p)
    }
    if (parents.length === 0) parents.push(0)
    for (const p of parents) edges.push({ from: id(p), to: id(i) })
    const first = id(parents[0]!)
    nodes.push(isCondition[i]
      ? { id: id(i), type: "condition", config: { if: { "<": [{ "%": [{ var: ["vars.x", 0] }, 7] }, 3] } } }
      : {
        id: id(i),
        type: "transform",
        config: {
          set: {
            x: { "+": [{ max: [{ var: ["vars.x", 0] }, { var: [`nodes.${first}.output.x`, 0] }] }, 1] },
            parity: { if: [{ "==": [{ "%": [{ var: ["vars.x", 0] }, 2] }, 0] }, "even", "odd"] },
            label: { cat: [{ var: "input.sender.name" }, "/", id(i)] },
            greeted: { in: ["oi", { var: "input.aggregatedInput" }] }
          }
        }
      })
  }
  isCondition.forEach((condition, i) => {
    if (!condition) return
    const whenTrue = pick(i + 1, i + window + 1)
    let whenFalse = pick(i + 1, i + window + 1)
    while (whenFalse === whenTrue) whenFalse = pick(i + 1, i + window + 1)
    edges.push({ from: id(i), to: id(whenTrue), when: "true" }, { from: id(i), to: id(whenFalse), when: "false" })
  })
  return document(nodes, edges)
}
