#!/usr/bin/env bash
# npm run test:runtimes: the built package's smoke checks on Node, Bun, Deno and headless Chromium,
# and require("aiobreaker") from CommonJS on Node, Bun and Deno.
# Bun and Deno come from the npm registry (npx); Chromium from the system (Debian: apt-get install
# chromium). Every runtime must pass; a missing Chromium is an error, not a skip.
set -euo pipefail
cd "$(dirname "$0")"

echo "node $(node --version)"
timeout 120 node main.mjs
timeout 120 node require.cjs
echo "bun $(npx --yes -p bun@1 bun --version)"
timeout 120 npx --yes -p bun@1 bun main.mjs
timeout 120 npx --yes -p bun@1 bun require.cjs
echo "$(npx --yes -p deno@2 deno --version | head -1)"
timeout 120 npx --yes -p deno@2 deno run --quiet main.mjs
timeout 120 npx --yes -p deno@2 deno run --quiet require.cjs

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "test:runtimes: Chromium not found (Debian: apt-get install chromium)" >&2
  exit 1
fi
echo "$("$browser" --version)"
dom="$("$browser" --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
  --virtual-time-budget=10000 --dump-dom "file://$PWD/smoke.html" 2>/dev/null)"
result="$(printf '%s' "$dom" | grep -o 'PASS [0-9]*\|FAIL [^<]*' || true)"
if [[ "$result" != PASS* ]]; then
  echo "runtime smoke in Chromium: ${result:-no result}" >&2
  exit 1
fi
echo "runtime smoke: ${result#PASS } checks passed"
