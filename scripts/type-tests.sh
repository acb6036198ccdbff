#!/usr/bin/env bash
# npm run test:types: the type tests in test/types, compiled as a consumer's code against the built
# package, with the project's TypeScript and with the oldest one the README supports (5.8). Each
# is called by path: two packages that both install a `tsc` bin must not decide which one runs.
set -euo pipefail
cd "$(dirname "$0")/.."

for typescript in typescript typescript-5.8; do
  tsc="node_modules/$typescript/bin/tsc"
  echo "type tests: TypeScript $(node "$tsc" --version | cut -d' ' -f2)"
  node "$tsc" -p test/types/tsconfig.json
done
