// Entry point for Node, Bun and Deno: runs the smoke checks and prints how many passed.
import { CircuitBreaker } from "../../dist/index.js";
import { channels } from "./channels.mjs";
import { smoke } from "./smoke.mjs";

console.log(`runtime smoke: ${String((await smoke()) + (await channels()))} checks passed`);

// Last, a call under a ten-minute timeout that settles at once: the breaker's deadline timer must
// not keep the process alive after it (run.sh gives every runtime 120 s to exit).
const timed = new CircuitBreaker({ callTimeout: 600_000 });
await timed.call(async () => "done");
