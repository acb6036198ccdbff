// One variant alone, run under valgrind by instructions.js: `warmup` calls, then `calls` more,
// in batches as the time bench makes them, the event loop turning after each (its cost, some
// thousand instructions a batch, is the same for every variant). Its instruction count at two values of `calls`
// gives the per-call count by difference: start-up and warm-up cancel out.
import { finish, prepare, runBatch, turnEventLoop } from "./harness.js";
import { scenarioById } from "./scenarios.js";

const BATCH = 1_000;
const [scenarioId, variantId, warmup, calls] = process.argv.slice(2);
const scenario = scenarioById(scenarioId);
const prepared = await prepare(scenario, [variantId]);
async function serve(count) {
  for (let done = 0; done < count; done += BATCH) {
    await runBatch(scenario, prepared[0], Math.min(BATCH, count - done));
    await turnEventLoop();
  }
}
await serve(Number(warmup));
await serve(Number(calls));
await finish(scenario, prepared);
