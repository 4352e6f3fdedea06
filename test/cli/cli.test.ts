import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "../..")
const graphExample = "examples/support.graph.json"
const shorthandExample = "examples/support.shorthand.json"

/** The child sees no model provider, whatever the machine running the tests has set. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(OPENAI|ANTHROPIC)_/.test(name))
)

interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the real `ast` (bin/ast.js) under the Node running the tests. */
const ast = (...args: ReadonlyArray<string>): Promise<Outcome> =>
  new Promise((done) => {
    execFile(process.execPath, [join(root, "bin/ast.js"), ...args], { cwd: root, env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
      done({ code, stdout, stderr })
    })
  })

const confident = ["--agent-reply", "Olá!", "--agent-structured", '{"reply":"Olá!","confidence":0.9}']
const unsure = ["--agent-reply", "Hmm", "--agent-structured", '{"reply":"Hmm","confidence":0.2}']
const request = {
  threadId: "5511999999999",
  input: { messages: [{ content: "oi" }], sender: { phone: "5511999999999" } },
  context: { instanceId: "inst-1" }
}

let dir = ""
const inDir = (name: string) => join(dir, name)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ast-cli-"))
  await writeFile(inDir("invalid.json"), JSON.stringify({
    name: "broken",
    graph: {
      nodes: [
        { id: "trigger", type: "trigger", config: {} },
        { id: "agent", type: "agent", config: { model: "gpt-4o", tools: ["search_docs", "make_coffee"] } },
        { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } }
      ],
      edges: [{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }, { from: "agent", to: "sned" }]
    }
  }))
  await writeFile(inDir("malformed.json"), '{"name": "x", "graph": {')
  await writeFile(inDir("request.json"), JSON.stringify(request))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const invalidIssues = [
  `graph.nodes[1].config.tools[1]: unknown tool "make_coffee" (known: send_whatsapp, search_docs, check_instance_status, human_escalation)`,
  "graph.edges[2].to: unknown node 'sned'"
]

describe.concurrent("ast validate", () => {
  it("a valid document exits 0 naming the workflow and its size", async () => {
    const graph = await ast("validate", graphExample)
    expect(graph).toMatchObject({ code: 0, stdout: "valid: Suporte WhatsApp LivChat (5 nodes, 4 edges)\n" })
    const shorthand = await ast("validate", shorthandExample)
    expect(shorthand).toMatchObject({ code: 0, stdout: "valid: Suporte WhatsApp (3 nodes, 2 edges)\n" })
  })

  it("an invalid document exits 1 with one 'path: message' line per problem", async () => {
    const { code, stdout, stderr } = await ast("validate", inDir("invalid.json"))
    expect(code).toBe(1)
    expect(stdout.split("\n")).toEqual([`invalid: ${inDir("invalid.json")} (2 problems)`, ...invalidIssues, ""])
    expect(stderr).not.toMatch(/\bat\b.*\(.*:\d+:\d+\)/)
  })

  it("--json prints one JSON document with every issue and its path", async () => {
    const { code, stdout } = await ast("validate", "--json", inDir("invalid.json"))
    expect(code).toBe(1)
    const verdict = JSON.parse(stdout)
    expect(verdict.valid).toBe(false)
    expect(verdict.issues).toContainEqual({ path: ["graph", "edges", 2, "to"], message: "unknown node 'sned'" })
    expect(verdict.issues).toHaveLength(2)
    const valid = JSON.parse((await ast("validate", graphExample, "--json")).stdout)
    expect(valid.valid).toBe(true)
    expect(valid.graph.nodes.map((n: { id: string }) => n.id)).toEqual(["trigger", "agent", "confident", "send", "escalate"])
  })

  it("a missing file exits 1 with one line naming it, no stack trace", async () => {
    const { code, stdout, stderr } = await ast("validate", inDir("nope.json"))
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr).toBe(`cannot read '${inDir("nope.json")}': no such file\n`)
  })

  it("malformed JSON exits 1 with a root issue carrying the parser's message", async () => {
    const { code, stdout } = await ast("validate", inDir("malformed.json"))
    expect(code).toBe(1)
    expect(stdout).toContain(`invalid: ${inDir("malformed.json")} (1 problem)`)
    expect(stdout).toMatch(/^\(document\): not valid JSON: .+/m)
  })
})

describe.concurrent("ast run", () => {
  it("a confident agent's reply is sent and the escalation skipped", async () => {
    const { code, stdout, stderr } = await ast("run", graphExample, "--input", "@examples/input.json", ...confident)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^✓ agent:1\s+agent\s+completed\s+\d+ms$/m)
    expect(stdout).toMatch(/^✓ send:1\s+send\s+completed\s+\d+ms$/m)
    expect(stdout).toMatch(/^- escalate:0\s+escalate\s+skipped$/m)
    expect(stdout).toContain("status: completed\n")
    expect(stderr).toContain("Olá!") // the log messenger's line goes to stderr, not stdout
    expect(stdout).not.toContain("log messenger")
  })

  it("an unsure agent escalates and nothing is sent", async () => {
    const { code, stdout } = await ast("run", graphExample, "--input", "@examples/input.json", ...unsure)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^✓ escalate:1\s+escalate\s+completed/m)
    expect(stdout).toMatch(/^- send:0\s+send\s+skipped$/m)
  })

  it("--json prints exactly one JSON document: the execution record", async () => {
    const { code, stdout } = await ast("run", graphExample, "--json", "--input", JSON.stringify(request), ...confident)
    expect(code).toBe(0)
    const execution = JSON.parse(stdout)
    expect(execution.status).toBe("completed")
    // The two branches after the condition are concurrent: their steps may be recorded in either order.
    expect(execution.steps.map((s: { id: string; status: string }) => `${s.id} ${s.status}`).sort()).toEqual([
      "agent:1 completed", "confident:1 completed", "escalate:0 skipped", "send:1 completed", "trigger:1 completed"
    ])
    expect(execution.output).toEqual({ send: { messageId: "log-1" } })
  })

  it("without --agent-reply the agent step fails naming OPENAI_API_KEY, exit 1", async () => {
    const { code, stdout } = await ast("run", shorthandExample, "--input", "@examples/input.json")
    expect(code).toBe(1)
    expect(stdout).toMatch(/^✗ agent:1\s+agent\s+error\s+\d+ms\s+no model provider .*OPENAI_API_KEY/m)
    expect(stdout).toContain("status: error\n")
  })

  it("--input takes inline JSON and @file alike", async () => {
    const inline = await ast("run", shorthandExample, "--input", JSON.stringify(request), "--agent-reply", "Oi!")
    const fromFile = await ast("run", shorthandExample, "--input", `@${inDir("request.json")}`, "--agent-reply", "Oi!")
    for (const outcome of [inline, fromFile]) {
      expect(outcome.code).toBe(0)
      expect(outcome.stdout).toMatch(/^✓ send:1\s+send\s+completed/m)
    }
  })

  it("a bad run request exits 1 with one line per problem", async () => {
    const { code, stdout, stderr } = await ast("run", graphExample, "--input", '{"input": {"messages": [{"content": 3}]}}', ...confident)
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr.split("\n")).toEqual([
      "invalid: --input (2 problems)",
      "threadId: is missing",
      "input.messages[0].content: Expected string, actual 3",
      ""
    ])
    const malformed = await ast("run", graphExample, "--input", "{oops", "--json")
    expect(malformed.code).toBe(1)
    expect(JSON.parse(malformed.stdout).error.issues[0].message).toMatch(/^not valid JSON: /)
  })

  it("an invalid workflow is not run: exit 1 with its problems", async () => {
    const { code, stdout, stderr } = await ast("run", inDir("invalid.json"), "--input", JSON.stringify(request))
    expect(code).toBe(1)
    expect(stdout).toBe("")
    for (const line of invalidIssues) expect(stderr).toContain(`${line}\n`)
  })
})
