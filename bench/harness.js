// The measuring machinery both benchmarks share: one compiled loop per variant, batches checked
// against what the scenario says they must do, and interleaved rounds of ratios to the floor.
import { setImmediate } from "node:timers";

/**
 * A loop of its own for `variant`: `run(n)` makes n sequential calls and returns how many
 * failed (a sync variant returns the sum of its values instead). Compiled with `new Function`
 * so that its call sites see this variant's functions alone and stay monomorphic.
 */
export function compileLoop(variant, bound) {
  const names = Object.keys(bound);
  const body = variant.sync
    ? `return function run(n) {
        let sum = 0;
        for (let x = 0; x < n; x++) sum += ${variant.call};
        return sum;
      };`
    : `return async function run(n) {
        let failed = 0;
        for (let x = 0; x < n; x++) {
          try {
            await ${variant.call};
          } catch {
            failed++;
          }
        }
        return failed;
      };`;
  return new Function(...names, body)(...names.map((name) => bound[name]));
}

/**
 * Sets up the variants `ids` of `scenario` (all when omitted), each with its loop. A `setup`
 * may return a promise (a variant that needs a server starts it there).
 */
export async function prepare(scenario, ids = scenario.variants.map((v) => v.id)) {
  const preparedList = [];
  for (const id of ids) {
    const variant = scenario.variants.find((v) => v.id === id);
    if (variant === undefined) throw new RangeError(`bench: no variant "${id}" in ${scenario.id}`);
    const bound = await variant.setup();
    preparedList.push({ variant, bound, run: compileLoop(variant, bound) });
  }
  return preparedList;
}

/** Runs one batch of `n` calls and throws if it did not do what the scenario says. */
export async function runBatch(scenario, prepared, n) {
  const failed = await prepared.run(n);
  if (prepared.variant.sync) return;
  const { fails } = scenario;
  const expected = fails === "none" ? 0 : fails === "all" ? n : (n * fails) / 100;
  if (Math.abs(failed - expected) > (typeof fails === "number" ? 1 : 0)) {
    throw new Error(
      `bench: "${prepared.variant.name}" in "${scenario.id}" failed ${String(failed)} of ` +
        `${String(n)} calls, expected ${String(expected)}: it no longer measures its row`,
    );
  }
}

/**
 * Lets the event loop turn, as a service's does between requests. Without it a whole run is one
 * chain of microtasks, and node never gets to process the rejections it tracks (every promise
 * rejected before it had a handler stays in its list until the microtask queue drains), so
 * the failure and rejection rows would grow dearer with every batch.
 */
export function turnEventLoop() {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

/** Runs every variant's check and (awaited) teardown; throws with the checks that failed. */
export async function finish(scenario, preparedList) {
  const problems = [];
  for (const { variant, bound } of preparedList) {
    const problem = variant.check?.(bound);
    if (problem !== undefined) problems.push(`"${variant.name}" in "${scenario.id}": ${problem}`);
  }
  for (const { variant, bound } of preparedList) await variant.teardown?.(bound);
  if (problems.length > 0) throw new Error(`bench: ${problems.join("; ")}`);
}

function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const collectGarbage = typeof globalThis.gc === "function" ? globalThis.gc : () => undefined;

/**
 * Interleaved rounds: each round runs every variant once, one batch each, in a fresh random
 * order, and takes each variant's time over the floor's time of that round.
 * Returns per variant the per-round ratios and ns per call, and per `compare` pair its ratios.
 */
export async function measureRounds(scenario, { rounds, batch, warmupRounds }) {
  const preparedList = await prepare(scenario);
  const floor = preparedList.find((p) => p.variant.id === scenario.floor);
  if (floor === undefined) throw new RangeError(`bench: ${scenario.id} has no floor variant`);
  const nsPerCall = new Map(preparedList.map((p) => [p.variant.id, []]));
  for (let round = 0; round < warmupRounds + rounds; round++) {
    // One full GC halfway through the warm-up, none while measuring: a forced full GC makes V8
    // drop optimised code that holds objects the GC freed ("weak objects"), and a GC forced
    // every round would measure that re-optimisation instead of the steady state.
    if (round === warmupRounds >> 1) collectGarbage();
    const times = new Map();
    for (const prepared of shuffle([...preparedList])) {
      const calls = Math.max(1, Math.round(batch * (prepared.variant.batchShare ?? 1)));
      const start = process.hrtime.bigint();
      await runBatch(scenario, prepared, calls);
      times.set(prepared.variant.id, Number(process.hrtime.bigint() - start) / calls);
      await turnEventLoop();
    }
    if (round < warmupRounds) continue;
    for (const [id, ns] of times) nsPerCall.get(id).push(ns);
  }
  await finish(scenario, preparedList);
  const floorNs = nsPerCall.get(floor.variant.id);
  const ratiosTo = (series, base) => series.map((ns, round) => ns / base[round]);
  return {
    variants: preparedList.map(({ variant }) => ({
      id: variant.id,
      name: variant.name,
      ns: nsPerCall.get(variant.id),
      ratios: ratiosTo(nsPerCall.get(variant.id), floorNs),
    })),
    compare: (scenario.compare ?? []).map(([a, b]) => ({
      a,
      b,
      ratios: ratiosTo(nsPerCall.get(a), nsPerCall.get(b)),
    })),
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
