// The table both benchmarks read: scenarios, and in each the variants measured side by side.
//
// A variant is `{ id, name, call, setup, check?, teardown? }`:
// - `call` is the expression one iteration awaits (or, with `sync: true`, adds up), written
//   against the loop index `x` and the names `setup()` returns; the harness compiles it into a
//   loop of its own, so its call sites see this variant only;
// - `setup()` builds what the expression needs (a fresh breaker, a fresh function) and returns
//   it by name; it runs once per process, for this variant alone;
// - `peer: true` marks another library's variant (its instruction counts may follow the clock:
//   opossum's window rotates on a timer and reads Date.now());
// - `batchShare` shortens its batches (a fraction of the scenario's) when its calls are slow,
//   and `instructionCalls` its instruction runs; figures stay per call;
// - `check(bound)` returns a message when the variant no longer measures what it claims (a
//   breaker that should stay closed opened); `teardown(bound)` releases timers.
// A scenario names its `floor` variant (every ratio is to it, in the same round), its `batch`
// (calls per batch, 1000 unless slow calls need shorter batches to dodge preemption), what each
// batch must do (`fails`: "none", "all", or a percentage, checked after every batch), optional
// `compare` pairs (ratios between two variants of the same round), and what the instruction
// bench runs of it (`instructions`: the variants, how many calls make a run (`peerCalls` for
// the peers, whose calls cost several times more and so need fewer), and optionally
// the floor and the pairs to compare, as "scenario.variant" when in another scenario: in that
// bench every variant has a process of its own, so identical variants need not run twice).
import CircuitBreakerOpossum from "opossum";
import { ConsecutiveBreaker, circuitBreaker, handleAll } from "cockatiel";
import { Registry } from "prom-client";
import { CircuitBreaker, CircuitBreakerMonitor } from "../dist/index.js";
import { registerPrometheusMetrics } from "../dist/prometheus/index.js";

// The least a wrapper that sees the outcome pays: its own frame around the call, and one then().
// Compiled afresh for every variant that uses it, so no other variant's functions reach it.
export function makeFloor() {
  return new Function(`
    const ok = (value) => value;
    const err = (error) => { throw error; };
    return function floor(fn, x) { return fn(x).then(ok, err); };
  `)();
}

// What an open breaker does at the least: a rejection with an error made without a stack trace,
// the limit set around the construction as the breaker does.
export function makeStacklessReject() {
  return new Function(`
    return function rejectStackless() {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      let error;
      try {
        error = new Error("open");
      } finally {
        Error.stackTraceLimit = limit;
      }
      return Promise.reject(error);
    };
  `)();
}

export const succeed = () => async (x) => x + 1;
export const succeedAfterAwait = () => async (x) => {
  await undefined;
  return x + 1;
};
export const fail = () => async () => {
  throw new Error("boom");
};

// One error made up front for the failure-rate rows: the function's own cost stays the same at
// every rate, so the rows show what failures cost the breaker, not what a stack trace costs.
const premadeFailure = new Error("boom");
// Failures spread evenly (every 100/percent calls), so no stretch of calls nears 50 %.
export function failingEvery(percent) {
  let credit = 0;
  return async (x) => {
    await undefined;
    credit += percent;
    if (credit >= 100) {
      credit -= 100;
      throw premadeFailure;
    }
    return x + 1;
  };
}

const NEVER = Number.MAX_SAFE_INTEGER;
function openedBreaker() {
  const breaker = new CircuitBreaker({ resetTimeout: 1e12 });
  breaker.open();
  return breaker;
}
const staysClosed = ({ breaker }) =>
  breaker.state === "closed" ? undefined : `the breaker is ${breaker.state}`;
const staysOpen = ({ breaker }) =>
  breaker.state === "open" ? undefined : `the breaker is ${breaker.state}`;
const opossumClosed = ({ opossum }) => (opossum.closed ? undefined : "opossum opened");
const opossumOpen = ({ opossum }) => (opossum.opened ? undefined : "opossum is not open");
const shutDown = ({ opossum }) => {
  opossum.shutdown();
};

// Variants shared by several scenarios; `makeFn` makes the function the scenario calls.
const bare = (makeFn) => ({
  id: "bare",
  name: "bare await fn(x)",
  call: "fn(x)",
  setup: () => ({ fn: makeFn() }),
});
const floor = (makeFn) => ({
  id: "floor",
  name: "floor: fn(x).then(ok, err)",
  call: "floor(fn, x)",
  setup: () => ({ fn: makeFn(), floor: makeFloor() }),
});
const aiobreakerCall = (makeFn, options = {}, overrides = {}) => ({
  id: "call",
  name: "aiobreaker call",
  call: "breaker.call(fn, x)",
  setup: () => ({ fn: makeFn(), breaker: new CircuitBreaker(options) }),
  check: staysClosed,
  ...overrides,
});
const aiobreakerProtect = (makeFn, options = {}) => ({
  id: "protect",
  name: "aiobreaker protect",
  call: "guarded(x)",
  setup: () => {
    const breaker = new CircuitBreaker(options);
    return { breaker, guarded: breaker.protect(makeFn()) };
  },
  check: staysClosed,
});
// cockatiel passes its own context to the function, not the caller's arguments: a closure
// per call is how its users pass them.
const cockatielExecute = (makeFn, threshold = 5) => ({
  id: "cockatiel",
  name: "cockatiel 4 execute",
  peer: true,
  call: "policy.execute(() => fn(x))",
  setup: () => ({
    fn: makeFn(),
    policy: circuitBreaker(handleAll, {
      halfOpenAfter: 60_000,
      breaker: new ConsecutiveBreaker(threshold),
    }),
  }),
});
const opossumFire = (makeFn, options = {}, overrides = {}) => ({
  id: "opossum",
  name: "opossum 10 fire",
  peer: true,
  call: "opossum.fire(x)",
  setup: () => ({ opossum: new CircuitBreakerOpossum(makeFn(), { timeout: false, ...options }) }),
  check: opossumClosed,
  teardown: shutDown,
  ...overrides,
});

const closedSuccess = (id, name, makeFn, instructions) => ({
  id,
  name,
  floor: "floor",
  fails: "none",
  variants: [
    bare(makeFn),
    floor(makeFn),
    aiobreakerCall(makeFn),
    aiobreakerProtect(makeFn),
    cockatielExecute(makeFn),
    opossumFire(makeFn),
  ],
  instructions,
});

const WINDOW = { duration: 10_000, buckets: 10 };

// A time-window breaker whose window has already moved on through a dozen buckets: the clock is
// the system's, plus an offset stepped one bucket at a time while warming up. Without it the
// first bucket changes during a measured run take V8 back to unoptimised code (the code was
// compiled before that branch ever ran); under valgrind, which slows the clock's progress per
// call 50x, that landed in one run length and not the other (repeats 40-50 % apart).
async function rotatedWindowBreaker() {
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const breaker = new CircuitBreaker({ window: WINDOW, clock });
  const fn = succeed();
  const width = WINDOW.duration / WINDOW.buckets;
  for (let bucket = 0; bucket < 12; bucket++) {
    for (let i = 0; i < 2_000; i++) await breaker.call(fn, i);
    offset += width;
  }
  return { fn, breaker };
}
const failureRate = (percent) => ({
  id: `rate-${String(percent)}`,
  name: `time window, ${String(percent)} % failures (fn awaits once; one pre-made error)`,
  floor: "floor",
  fails: percent,
  variants: [
    bare(() => failingEvery(percent)),
    floor(() => failingEvery(percent)),
    aiobreakerCall(() => failingEvery(percent), { window: WINDOW, failureRateThreshold: 50 }),
    {
      ...opossumFire(() => failingEvery(percent), {
        errorThresholdPercentage: 50,
        rollingCountTimeout: WINDOW.duration,
        rollingCountBuckets: WINDOW.buckets,
      }),
      // Its failures sort every latency sample in the window, so the more calls it served in
      // the last 10 s the dearer each failure: shorter batches keep the run bounded (and its
      // figure is for a window of some thousand calls, not for a busy service's).
      batchShare: percent === 0 ? 1 : 0.1 / percent,
    },
  ],
});

export const scenarios = [
  closedSuccess("success", "closed success, fn = async (x) => x + 1", succeed, {
    calls: 20_000,
    peerCalls: 5_000,
    variants: ["bare", "floor", "call", "protect", "cockatiel", "opossum"],
  }),
  closedSuccess("success-io", "closed success, fn awaits once then returns", succeedAfterAwait),
  {
    id: "failure",
    name: "closed failure below the threshold, fn throws a fresh Error",
    floor: "floor",
    fails: "all",
    batch: 100,
    variants: [
      bare(fail),
      { ...floor(fail), name: "floor: frame + then()" },
      aiobreakerCall(fail, { failMax: NEVER }),
      aiobreakerProtect(fail, { failMax: NEVER }),
      cockatielExecute(fail, NEVER),
      // Each of its failures sorts every latency sample of its 10 s window: a failure costs
      // far more than a success, and more as the window fills, so its batches are shorter.
      {
        ...opossumFire(fail, { errorThresholdPercentage: 101, volumeThreshold: NEVER }),
        batchShare: 0.1,
        instructionCalls: 200,
      },
    ],
    instructions: {
      calls: 2_000,
      variants: ["bare", "floor", "call", "protect", "cockatiel", "opossum"],
    },
  },
  {
    id: "open",
    name: "open rejection",
    floor: "floor",
    fails: "all",
    batch: 200,
    variants: [
      {
        id: "floor",
        name: "floor: stackless Promise.reject",
        call: "reject()",
        setup: () => ({ reject: makeStacklessReject() }),
      },
      {
        ...aiobreakerCall(succeed),
        setup: () => ({ fn: succeed(), breaker: openedBreaker() }),
        check: staysOpen,
      },
      {
        ...aiobreakerProtect(succeed),
        setup: () => {
          const breaker = openedBreaker();
          return { breaker, guarded: breaker.protect(succeed()) };
        },
        check: staysOpen,
      },
      {
        ...cockatielExecute(succeed),
        name: "cockatiel 4 execute (isolated)",
        setup: () => {
          const policy = circuitBreaker(handleAll, {
            halfOpenAfter: 60_000,
            breaker: new ConsecutiveBreaker(5),
          });
          policy.isolate();
          return { fn: succeed(), policy };
        },
      },
      opossumFire(
        succeed,
        { resetTimeout: 1e9 },
        {
          name: "opossum 10 fire (opened)",
          setup: () => {
            const opossum = new CircuitBreakerOpossum(succeed(), {
              timeout: false,
              resetTimeout: 1e9,
            });
            opossum.open();
            return { opossum };
          },
          check: opossumOpen,
        },
      ),
    ],
    instructions: {
      calls: 5_000,
      peerCalls: 2_000,
      variants: ["floor", "call", "cockatiel", "opossum"],
    },
  },
  {
    id: "timeout",
    name: "callTimeout set (10 s, never fires), fn = async (x) => x + 1",
    floor: "floor",
    fails: "none",
    variants: [
      floor(succeed),
      { ...aiobreakerCall(succeed), name: "aiobreaker call, no callTimeout" },
      {
        ...aiobreakerCall(succeed, { callTimeout: 10_000 }),
        id: "call-timeout",
        name: "aiobreaker call, callTimeout 10 s",
      },
      {
        ...opossumFire(succeed, { timeout: 10_000 }),
        id: "opossum-timeout",
        name: "opossum 10 fire, timeout 10 s",
      },
    ],
    compare: [["call-timeout", "call"]],
    instructions: {
      calls: 20_000,
      peerCalls: 5_000,
      variants: ["call-timeout", "opossum-timeout"],
      floor: "success.floor",
      compare: [["call-timeout", "success.call"]],
    },
  },
  {
    id: "window",
    name: "time window (10 s in 10 buckets) closed success, fn = async (x) => x + 1",
    floor: "floor",
    fails: "none",
    variants: [
      floor(succeed),
      { ...aiobreakerCall(succeed), id: "consecutive", name: "aiobreaker call, consecutive" },
      {
        ...aiobreakerCall(succeed, { window: WINDOW }),
        id: "window",
        name: "aiobreaker call, time window",
        setup: rotatedWindowBreaker,
      },
    ],
    compare: [["window", "consecutive"]],
    instructions: {
      calls: 20_000,
      variants: ["window"],
      floor: "success.floor",
      compare: [["window", "success.call"]],
    },
  },
  failureRate(0),
  failureRate(1),
  failureRate(30),
  {
    id: "prometheus",
    name: "registerPrometheusMetrics on (duration histogram), closed success, fn = async (x) => x + 1",
    floor: "floor",
    fails: "none",
    variants: [
      floor(succeed),
      { ...aiobreakerCall(succeed), name: "aiobreaker call, not exported" },
      {
        ...aiobreakerCall(succeed),
        id: "exported",
        name: "aiobreaker call, exported to prom-client",
        setup: () => {
          const monitor = new CircuitBreakerMonitor();
          const breaker = new CircuitBreaker({ name: "bench" });
          monitor.register(breaker);
          const metrics = registerPrometheusMetrics({ monitor, registry: new Registry() });
          return { fn: succeed(), breaker, metrics };
        },
        teardown: ({ metrics }) => {
          metrics.close();
        },
      },
    ],
    compare: [["exported", "call"]],
    instructions: {
      calls: 20_000,
      variants: ["exported"],
      floor: "success.floor",
      compare: [["exported", "success.call"]],
    },
  },
  {
    id: "clock",
    name: "one clock read (ns/call is the figure; the ratio is to the closed-success floor)",
    floor: "floor",
    fails: "none",
    variants: [
      floor(succeed),
      { id: "date", name: "Date.now()", sync: true, call: "Date.now()", setup: () => ({}) },
      {
        id: "performance",
        name: "performance.now()",
        sync: true,
        call: "performance.now()",
        setup: () => ({ performance: globalThis.performance }),
      },
    ],
  },
];

/** The scenario with this id, or an error that lists the ids there are. */
export function scenarioById(id) {
  const scenario = scenarios.find((s) => s.id === id);
  if (scenario === undefined) {
    const ids = scenarios.map((s) => s.id).join(", ");
    throw new RangeError(`bench: no scenario "${id}" (there are: ${ids})`);
  }
  return scenario;
}

/** The variant `id` of `scenario`, or an error that lists the ids there are. */
export function variantById(scenario, id) {
  const variant = scenario.variants.find((v) => v.id === id);
  if (variant === undefined) {
    const ids = scenario.variants.map((v) => v.id).join(", ");
    throw new RangeError(`bench: no variant "${id}" in "${scenario.id}" (there are: ${ids})`);
  }
  return variant;
}
