import { FastCheck as fc } from "effect"

export interface GenNode {
  readonly id: string
  readonly type: "trigger" | "transform" | "condition" | "delay"
  readonly config?: unknown
}
export interface GenEdge {
  readonly from: string
  readonly to: string
  readonly when?: "true" | "false"
}
export interface GenGraph {
  readonly nodes: ReadonlyArray<GenNode>
  readonly edges: ReadonlyArray<GenEdge>
}

const transformOf = (id: string, parents: ReadonlyArray<string>): GenNode => ({
  id,
  type: "transform",
  config: {
    set: {
      [`v_${id}`]: { "+": [1, ...parents.map((p) => ({ var: `vars.v_${p}` }))] },
      [`seen_${id}`]: parents.map((p) => `{{nodes.${p}.output.v_${p}}}`).join(",")
    }
  }
})

/**
 * Random valid DAGs: node 0 is the trigger; every other node has 1–3 parents among earlier nodes (so no
 * cycle and all reachable); conditions get exactly one `true` and one `false` edge (fresh leaves fill a
 * missing branch). Transforms read their parents' outputs and vars; delays wait 0–3 s.
 */
export const arbGraph = (maxNodes = 18): fc.Arbitrary<GenGraph> =>
  fc.integer({ min: 2, max: maxNodes }).chain((n) =>
    fc.tuple(
      fc.array(fc.constantFrom("transform", "transform", "condition", "delay"), { minLength: n, maxLength: n }),
      fc.array(fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n })
    ).map(([kinds, parentPicks, flags, seconds]) => {
      const ids = kinds.map((_, i) => (i === 0 ? "trigger" : `n${i}`))
      const parents: Array<Array<number>> = ids.map((_, i) => (i === 0 ? [] : [...new Set(parentPicks[i]!.map((p) => p % i))]))
      const kindOf = (i: number) => (i === 0 ? "trigger" : kinds[i]!)
      // A condition keeps at most its first two children; a child left without a parent hangs off the trigger.
      const children = (c: number) => parents.flatMap((ps, i) => (ps.includes(c) ? [i] : []))
      for (let c = 1; c < ids.length; c++) {
        if (kindOf(c) !== "condition") continue
        for (const child of children(c).slice(2)) {
          parents[child] = parents[child]!.filter((p) => p !== c)
          if (parents[child]!.length === 0) parents[child] = [0]
        }
      }
      const nodes: Array<GenNode> = []
      const edges: Array<GenEdge> = []
      const extraLeaves: Array<GenNode> = []
      ids.forEach((id, i) => {
        const ps = parents[i]!.map((p) => ids[p]!)
        const kind = kindOf(i)
        if (kind === "trigger") nodes.push({ id, type: "trigger" })
        else if (kind === "condition") nodes.push({ id, type: "condition", config: { if: flags[i] } })
        else if (kind === "delay") nodes.push({ id, type: "delay", config: { seconds: seconds[i] } })
        else nodes.push(transformOf(id, ps))
      })
      ids.forEach((_, i) => {
        for (const p of parents[i]!) {
          const when = kindOf(p) === "condition" ? (children(p).indexOf(i) === 0 ? "true" : "false") : undefined
          edges.push(when === undefined ? { from: ids[p]!, to: ids[i]! } : { from: ids[p]!, to: ids[i]!, when })
        }
      })
      ids.forEach((id, c) => {
        if (kindOf(c) !== "condition") return
        const taken = edges.filter((e) => e.from === id).map((e) => e.when)
        for (const when of ["true", "false"] as const) {
          if (taken.includes(when)) continue
          const leaf = transformOf(`${id}_${when}`, [])
          extraLeaves.push(leaf)
          edges.push({ from: id, to: leaf.id, when })
        }
      })
      return { nodes: [...nodes, ...extraLeaves], edges }
    })
  )

/** What a correct run must do, computed by a plain sequential walk in topological order. */
export const expectedStatuses = (graph: GenGraph): Map<string, "completed" | "skipped"> => {
  const status = new Map<string, "completed" | "skipped">()
  const firedEdge = (e: GenEdge) => {
    if (status.get(e.from) !== "completed") return false
    const from = graph.nodes.find((n) => n.id === e.from)!
    return e.when === undefined || (from.config as { if: boolean }).if === (e.when === "true")
  }
  // Node order is topological: parents come earlier, fresh leaves last.
  for (const node of graph.nodes) {
    const incoming = graph.edges.filter((e) => e.to === node.id)
    status.set(node.id, node.type === "trigger" || incoming.some(firedEdge) ? "completed" : "skipped")
  }
  return status
}
