#!/usr/bin/env node
// The `ast` command. Plain JS so that an old Node gets one clear line instead of a syntax error: the CLI
// itself is TypeScript, run through Node's type stripping (on by default since Node 22.18).
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `ast needs Node.js >= 22.18 (this is ${process.versions.node}); run it through scripts/node.sh or install a newer Node\n`
  )
  process.exit(1)
}

await import("../src/cli/main.ts")
