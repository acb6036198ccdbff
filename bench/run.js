// npm run bench: the breaker against a bare call and against opossum and cockatiel, in one run.
// Each case runs a batch of sequential awaited calls per sample; figures are medians (p50) per
// call, and every ratio is against the bare baseline of the same scenario measured in this run.
import { bench, run } from "mitata";
import CircuitBreakerOpossum from "opossum";
import { ConsecutiveBreaker, circuitBreaker, handleAll } from "cockatiel";
import { CircuitBreaker, CircuitBreakerGroup } from "../dist/index.js";

const BATCH = 1_000;
const quiet = process.argv.includes("--quiet");
const okFn = async () => 1;
const failFn = async () => {
  throw new Error("boom");
};
const never = () => {
  /* swallowed on purpose: the benchmark measures the rejection path */
};

function batch(once) {
  return async () => {
    for (let i = 0; i < BATCH; i++) await once();
  };
}
function batchCatch(once) {
  return async () => {
    for (let i = 0; i < BATCH; i++) {
      try {
        await once();
      } catch {
        never();
      }
    }
  };
}

const cases = [];
const opossums = [];
function add(scenario, name, fn, baseline = false) {
  cases.push({ scenario, name, baseline });
  bench(`${scenario} | ${name}`, fn);
}

// Closed-state success.
{
  const breaker = new CircuitBreaker();
  const guarded = breaker.protect(okFn);
  const opossum = new CircuitBreakerOpossum(okFn, { timeout: false });
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new ConsecutiveBreaker(5),
  });
  add(
    "closed success",
    "bare await fn()",
    batch(() => okFn()),
    true,
  );
  add(
    "closed success",
    "aiobreaker call",
    batch(() => breaker.call(okFn)),
  );
  add(
    "closed success",
    "aiobreaker protect",
    batch(() => guarded()),
  );
  add(
    "closed success",
    "opossum fire",
    batch(() => opossum.fire()),
  );
  add(
    "closed success",
    "cockatiel execute",
    batch(() => cockatiel.execute(okFn)),
  );
}

// Closed-state failure below the threshold.
{
  const breaker = new CircuitBreaker({ failMax: Number.MAX_SAFE_INTEGER });
  const opossum = new CircuitBreakerOpossum(failFn, {
    timeout: false,
    errorThresholdPercentage: 101,
    volumeThreshold: Number.MAX_SAFE_INTEGER,
  });
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new ConsecutiveBreaker(Number.MAX_SAFE_INTEGER),
  });
  add(
    "closed failure",
    "bare await (throws)",
    batchCatch(() => failFn()),
    true,
  );
  add(
    "closed failure",
    "aiobreaker call",
    batchCatch(() => breaker.call(failFn)),
  );
  add(
    "closed failure",
    "opossum fire",
    batchCatch(() => opossum.fire()),
  );
  add(
    "closed failure",
    "cockatiel execute",
    batchCatch(() => cockatiel.execute(failFn)),
  );
}

// Open-state rejection.
{
  const breaker = new CircuitBreaker({ resetTimeout: 1e12 });
  breaker.open();
  const opossum = new CircuitBreakerOpossum(okFn, { timeout: false, resetTimeout: 1e9 });
  opossum.open();
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 1e9,
    breaker: new ConsecutiveBreaker(1),
  });
  cockatiel.isolate();
  add(
    "open rejection",
    "bare await (throws)",
    batchCatch(() => failFn()),
    true,
  );
  add(
    "open rejection",
    "aiobreaker call",
    batchCatch(() => breaker.call(okFn)),
  );
  add(
    "open rejection",
    "opossum fire",
    batchCatch(() => opossum.fire()),
  );
  add(
    "open rejection",
    "cockatiel execute",
    batchCatch(() => cockatiel.execute(okFn)),
  );
}

// A time window at 0 %, 1 % and 30 % failures, window full (threshold 50 %: never trips).
// One error made up front: the function's own cost stays the same at every failure rate, so
// the rows show what failures cost the breaker, not what capturing a stack trace costs.
const failure = new Error("boom");
function failingEvery(percent) {
  let i = 0;
  return async () => {
    i = (i + 1) % 100;
    if (i < percent) throw failure;
    return 1;
  };
}
for (const percent of [0, 1, 30]) {
  const scenario = `time window, ${String(percent)}% failures`;
  const fn = failingEvery(percent);
  const breaker = new CircuitBreaker({
    window: { duration: 10_000, buckets: 10 },
    failureRateThreshold: 50,
  });
  const opossum = new CircuitBreakerOpossum(fn, {
    timeout: false,
    errorThresholdPercentage: 50,
    rollingCountTimeout: 10_000,
    rollingCountBuckets: 10,
  });
  opossums.push(opossum);
  // Fill the window before measuring.
  for (let i = 0; i < 2_000; i++) {
    await breaker.call(fn).catch(never);
    await opossum.fire().catch(never);
  }
  add(
    scenario,
    "bare await fn()",
    batchCatch(() => fn()),
    true,
  );
  add(
    scenario,
    "aiobreaker call",
    batchCatch(() => breaker.call(fn)),
  );
  add(
    scenario,
    "opossum fire",
    batchCatch(() => opossum.fire()),
  );
}

// A call with a timeout set (it never fires: the call is quick).
{
  const breaker = new CircuitBreaker({ callTimeout: 10_000 });
  const opossum = new CircuitBreakerOpossum(okFn, {});
  opossums.push(opossum);
  add(
    "callTimeout set",
    "bare await fn()",
    batch(() => okFn()),
    true,
  );
  add(
    "callTimeout set",
    "aiobreaker call",
    batch(() => breaker.call(okFn)),
  );
  add(
    "callTimeout set",
    "opossum fire (timeout)",
    batch(() => opossum.fire()),
  );
}

const result = await run({ format: quiet ? "quiet" : "mitata" });
for (const opossum of opossums) opossum.shutdown();
const p50 = new Map();
for (const b of result.benchmarks) p50.set(b.alias, b.runs[0].stats.p50 / BATCH);

console.log(
  `\nPer call, median of samples of ${BATCH} sequential calls (Node ${process.version}):`,
);
let scenario;
let base = 0;
for (const c of cases) {
  const ns = p50.get(`${c.scenario} | ${c.name}`);
  if (c.scenario !== scenario) {
    scenario = c.scenario;
    console.log(`\n${scenario}`);
  }
  if (c.baseline) base = ns;
  console.log(
    `  ${c.name.padEnd(24)} ${ns.toFixed(1).padStart(8)} ns   ${(ns / base).toFixed(2)}x`,
  );
}

// Heap per idle breaker.
function heapPer(make) {
  const count = 10_000;
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const keep = [];
  for (let i = 0; i < count; i++) keep.push(make(i));
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  const per = (after - before) / count;
  keep.length = 0;
  return per;
}
if (typeof globalThis.gc === "function") {
  console.log(`\nheap per idle breaker (10 000 breakers, after GC)`);
  const ours = heapPer((i) => new CircuitBreaker({ name: `b${i}` }));
  console.log(`  aiobreaker               ${(ours / 1024).toFixed(2).padStart(8)} KB`);
  const theirs = [];
  const opossumPer = heapPer((i) => {
    const b = new CircuitBreakerOpossum(okFn, { name: `b${i}` });
    theirs.push(b);
    return b;
  });
  for (const b of theirs) b.shutdown();
  console.log(`  opossum                  ${(opossumPer / 1024).toFixed(2).padStart(8)} KB`);
  const cockatielPer = heapPer(() =>
    circuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new ConsecutiveBreaker(5) }),
  );
  console.log(`  cockatiel                ${(cockatielPer / 1024).toFixed(2).padStart(8)} KB`);
  console.log(`\nheap per key in a group (10 000 keys, after GC)`);
  const group = new CircuitBreakerGroup({ name: "keys", maxKeys: 20_000 });
  const groupPer = heapPer((i) => group.get(`key-${String(i)}`));
  console.log(`  aiobreaker group         ${(groupPer / 1024).toFixed(2).padStart(8)} KB`);
} else {
  console.log("\n(heap per breaker skipped: run node with --expose-gc, as npm run bench does)");
}
