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
const ioFn = async () => {
  await undefined;
  return 1;
};
const failFn = async () => {
  throw new Error("boom");
};
const passValue = (value) => value;
const rethrow = (error) => {
  throw error;
};
const noteOutcome = () => {
  /* a breaker would record the outcome here */
};
// What a wrapper costs at the least: its own frame around the call, and one then() on the result.
function wrapped(fn) {
  return fn().then(passValue, rethrow);
}
const never = () => {
  /* swallowed on purpose: the benchmark measures the rejection path */
};

// Each case gets its own compiled loop: a loop shared by every case would see many different
// functions at its call site and slow every row down alike, hiding real differences.
function loop(body) {
  return new Function(
    "once",
    "never",
    "n",
    `return async () => { for (let i = 0; i < n; i++) ${body} };`,
  );
}
function batch(once) {
  return loop("await once();")(once, never, BATCH);
}
function batchCatch(once) {
  return loop("try { await once(); } catch { never(); }")(once, never, BATCH);
}

const cases = [];
const opossums = [];
// Breakers whose rows mean something only if they never left the closed state.
const mustStayClosed = [];
function add(scenario, name, fn, baseline = false) {
  cases.push({ scenario, name, baseline });
  bench(`${scenario} | ${name}`, fn);
}

// Closed-state success, with a function that awaits once (as any call doing I/O does) and with
// one that does nothing at all, where the breaker's fixed costs weigh the most.
for (const [kind, fn] of [
  ["fn awaits once", ioFn],
  ["fn does nothing", okFn],
]) {
  const scenario = `closed success, ${kind}`;
  const breaker = new CircuitBreaker();
  const guarded = breaker.protect(fn);
  const opossum = new CircuitBreakerOpossum(fn, { timeout: false });
  opossums.push(opossum);
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new ConsecutiveBreaker(5),
  });
  add(
    scenario,
    "bare await fn()",
    batch(() => fn()),
    true,
  );
  // The least any wrapper that must see the outcome pays: one then() and its extra promise.
  add(
    scenario,
    "floor: fn().then(ok, err)",
    batch(() => fn().then(passValue, rethrow)),
  );
  // Observing the outcome beside the caller instead of in its path costs the same: a reaction job
  // and its derived promise, whether or not the caller waits one more turn.
  add(
    scenario,
    "floor: observe on the side",
    batch(() => {
      const pending = fn();
      pending.then(noteOutcome, noteOutcome);
      return pending;
    }),
  );
  add(
    scenario,
    "aiobreaker call",
    batch(() => breaker.call(fn)),
  );
  add(
    scenario,
    "aiobreaker protect",
    batch(() => guarded()),
  );
  add(
    scenario,
    "opossum fire",
    batch(() => opossum.fire()),
  );
  add(
    scenario,
    "cockatiel execute",
    batch(() => cockatiel.execute(fn)),
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
  // A breaker must call the function from a frame of its own, and that frame is in every stack
  // trace the function's errors capture.
  add(
    "closed failure",
    "floor: frame + then()",
    batchCatch(() => wrapped(failFn)),
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

// A time window at 0 %, 1 % and 30 % failures, window full (threshold 50 %: never trips); the
// function awaits once, then returns or throws.
// One error made up front: the function's own cost stays the same at every failure rate, so
// the rows show what failures cost the breaker, not what capturing a stack trace costs.
const failure = new Error("boom");
// Failures spread evenly (every 100/percent calls), so no stretch of calls nears the 50 % threshold.
function failingEvery(percent) {
  let credit = 0;
  return async () => {
    await undefined;
    credit += percent;
    if (credit >= 100) {
      credit -= 100;
      throw failure;
    }
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
  mustStayClosed.push([scenario, breaker, opossum]);
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
for (const [kind, fn] of [
  ["fn awaits once", ioFn],
  ["fn does nothing", okFn],
]) {
  const scenario = `callTimeout set, ${kind}`;
  const breaker = new CircuitBreaker({ callTimeout: 10_000 });
  const opossum = new CircuitBreakerOpossum(fn, {});
  opossums.push(opossum);
  add(
    scenario,
    "bare await fn()",
    batch(() => fn()),
    true,
  );
  add(
    scenario,
    "aiobreaker call",
    batch(() => breaker.call(fn)),
  );
  add(
    scenario,
    "opossum fire (timeout)",
    batch(() => opossum.fire()),
  );
}

// What one clock read costs here: a time window and a call timeout each need one per call.
let clockSink = 0;
bench("clock read", () => {
  for (let i = 0; i < BATCH; i++) clockSink += Date.now();
});

const result = await run({ format: quiet ? "quiet" : "mitata" });
for (const [scenario, breaker, opossum] of mustStayClosed) {
  if (breaker.state !== "closed" || !opossum.closed) {
    console.error(`bench: a breaker in "${scenario}" opened, so its rows measure rejections`);
    process.exitCode = 1;
  }
}
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
    `  ${c.name.padEnd(26)} ${ns.toFixed(1).padStart(8)} ns   ${(ns / base).toFixed(2)}x`,
  );
}

console.log(
  `\none clock read, Date.now(): ${p50.get("clock read").toFixed(1)} ns` +
    (clockSink > 0 ? "" : " (no reading)"),
);

// Throughput is the inverse of the time per call: 30 % failures against 0 %, per implementation.
console.log(`\ntime window: throughput at 30% failures / at 0% failures`);
for (const name of ["bare await fn()", "aiobreaker call", "opossum fire"]) {
  const at0 = p50.get(`time window, 0% failures | ${name}`);
  const at30 = p50.get(`time window, 30% failures | ${name}`);
  console.log(`  ${name.padEnd(26)} ${(at0 / at30).toFixed(2).padStart(8)}x`);
}
{
  const drop = (name) =>
    p50.get(`time window, 0% failures | ${name}`) / p50.get(`time window, 30% failures | ${name}`);
  console.log(
    `  aiobreaker's drop over the bare call's own: ${(drop("aiobreaker call") / drop("bare await fn()")).toFixed(2)}x`,
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
