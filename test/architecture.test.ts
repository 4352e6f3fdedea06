import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve } from "node:path"

const src = resolve(import.meta.dirname, "../src")
const layers = ["domain", "ports", "interpreter", "application", "adapters"] as const
type Layer = (typeof layers)[number]

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : []
  })

const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? "")

const layerOf = (path: string): Layer | "main" => {
  const top = relative(src, path).split("/")[0] as Layer
  return layers.includes(top) ? top : "main"
}

/** Which packages each layer may import, beside its own and inner layers. */
const allowedPackages: Record<Layer, RegExp> = {
  domain: /^effect($|\/)/,
  ports: /^effect($|\/)/,
  interpreter: /^(effect($|\/)|json-logic-engine$)/,
  application: /^effect($|\/)/,
  adapters: /./
}

describe("the dependency rule of ARCHITECTURE.md", () => {
  const files = filesUnder(src)

  it("finds the source files", () => {
    expect(files.length).toBeGreaterThan(20)
  })

  it("no arrow points outward: domain ← ports ← interpreter ← application ← adapters ← main", () => {
    const violations: Array<string> = []
    for (const file of files) {
      const from = layerOf(file)
      if (from === "main") continue
      for (const spec of importsOf(file)) {
        if (spec.startsWith(".")) {
          const to = layerOf(resolve(file, "..", spec))
          if (to === "main" || layers.indexOf(to) > layers.indexOf(from)) violations.push(`${relative(src, file)} imports ${spec}`)
        } else if (!spec.startsWith("node:") && !allowedPackages[from].test(spec)) {
          violations.push(`${relative(src, file)} imports package ${spec}`)
        }
      }
    }
    expect(violations).toEqual([])
  })

  it("the domain imports nothing from node either", () => {
    const domainFiles = files.filter((f) => layerOf(f) === "domain")
    expect(domainFiles.flatMap((f) => importsOf(f).filter((s) => s.startsWith("node:")))).toEqual([])
  })
})
