// Protecting fetch: a local HTTP service that answers, then fails with 503s, then hangs once,
// then recovers, called through a breaker that passes its signal on (timeouts abort the request),
// counts 5xx responses as failures, and falls back to a cached answer while open.
// Run: node examples/fetch.js (after npm run build). Takes about two seconds.
import { createServer } from "node:http";
import { CircuitBreaker, CircuitBreakerError } from "../dist/index.js";

// The dependency: its behaviour per request, in order; then healthy again.
const script = ["ok", "ok", "503", "503", "503", "hang"];
let served = 0;
const server = createServer((request, response) => {
  const behaviour = script[served++] ?? "ok";
  if (behaviour === "hang") return; // never answers; the caller's timeout must end it
  response.statusCode = behaviour === "503" ? 503 : 200;
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({ items: ["apples", "pears"], request: served }));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/items`;

const breaker = new CircuitBreaker({
  name: "inventory",
  failMax: 3, // 3 failures in a row open it
  resetTimeout: 300, // then a trial call after 300 ms
  callTimeout: 1_000, // a request running longer fails, and its signal aborts it
  isFailureResult: (response) => response.status >= 500, // fetch does not throw on a 503
  fallback: () => Response.json({ items: [], stale: true }), // while open, or on timeout
  listeners: [{ stateChange: (b, from, to) => console.log(`  [${b.name}] ${from} -> ${to}`) }],
});

async function listItems(signal) {
  const response = await breaker.execute(({ signal }) => fetch(url, { signal }), { signal });
  if (!response.ok) return `HTTP ${response.status} (counted as a failure)`;
  const body = await response.json();
  return body.stale ? "fallback: no items (stale)" : `items: ${body.items.join(", ")}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (let call = 1; call <= 10; call++) {
  try {
    console.log(`call ${call}: ${await listItems(AbortSignal.timeout(5_000))}`);
  } catch (error) {
    // Only what the fallback does not cover reaches here (a caller's own abort, say).
    const what = error instanceof CircuitBreakerError ? "refused" : "failed";
    console.log(`call ${call}: ${what}: ${error.message}`);
  }
  if (call === 6 || call === 7) await sleep(350); // past resetTimeout: the next call is a trial
}
console.log("stats:", JSON.stringify(breaker.stats));
server.closeAllConnections();
server.close();
