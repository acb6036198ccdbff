/**
 * Two or three breakers over one CircuitMemoryStorage, driven by random steps: calls that succeed,
 * throw, resolve or hang (some with a signal, some through callSync), settling and aborting them,
 * time, reconfigure, mode and state changes, resets. After every step, and again once pending jobs
 * ran, it checks: trial slots within the limit, inFlight never negative, forced open reports open,
 * each breaker's stateChange events chain up and never go from a state to itself, call() never
 * throws, no unhandled rejection, no queued caller left waiting beside a free slot, and a
 * rejection's waitUntilRetry resolving once something changed and never before. At the end every
 * call settles, inFlight is 0, every waiter wakes at a change and no storage subscription is left.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  type CircuitBreakerMode,
  type CircuitBreakerState,
  type FailureOutcome,
  type FailureRecord,
  type StateChange,
  type StoredCircuitState,
  type TrialOutcome,
} from "../src/index.js";

/** Counts live subscriptions and the changes it announces (state, mode, restore, a trial given back). */
class CountingStorage extends CircuitMemoryStorage {
  live = 0;
  changes = 0;

  override subscribe(listener: () => void): () => void {
    const unsubscribe = super.subscribe(listener);
    this.live++;
    let ended = false;
    return () => {
      if (!ended) this.live--;
      ended = true;
      unsubscribe();
    };
  }

  override setState(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    duration: number | undefined,
    change: StateChange,
  ): boolean {
    const applied = super.setState(state, openedAt, duration, change);
    if (applied) this.changes++;
    return applied;
  }

  override setMode(mode: CircuitBreakerMode): void {
    this.changes++;
    super.setMode(mode);
  }

  override recordFailure(failure: FailureRecord): FailureOutcome {
    const outcome = super.recordFailure(failure);
    if (outcome.tripped) this.changes++;
    return outcome;
  }

  override recordTrialSuccess(generation: number, successThreshold: number): TrialOutcome {
    if (generation === this.generation && this.state === "half-open") this.changes++;
    return super.recordTrialSuccess(generation, successThreshold);
  }

  override restore(stored: StoredCircuitState): void {
    this.changes++;
    super.restore(stored);
  }

  override releaseTrial(generation: number): void {
    if (generation === this.generation && this.trialCalls > 0) this.changes++;
    super.releaseTrial(generation);
  }
}

/** What the guarded function does; the `sync-` ones go through `callSync`. */
type Outcome = "ok" | "throw" | "async" | "hang" | "sync-ok" | "sync-throw";
type Step =
  | { kind: "call"; breaker: number; outcome: Outcome; signal: boolean; wait: boolean }
  | { kind: "settle"; index: number; ok: boolean }
  | { kind: "abort"; index: number }
  | { kind: "advance"; ms: number }
  | { kind: "reconfigure"; breaker: number; maxCalls: number }
  | { kind: "forceOpen" | "enable" | "halfOpen" | "close" | "open"; breaker: number }
  | { kind: "settleAll" }
  | { kind: "resetAll" };
interface Setup {
  maxCalls: number;
  breakers: { failMax: number; successThreshold: number; halfOpenQueueSize: number }[];
}

const bool = fc.boolean();
const oneToThree = fc.integer({ min: 1, max: 3 });
const breaker = fc.nat(2); // taken modulo the number of breakers
const outcomes: Outcome[] = ["ok", "throw", "async", "hang", "hang", "sync-ok", "sync-throw"];
const byHand = ["forceOpen", "enable", "halfOpen", "close", "open"] as const;
const weighted = (weight: number, arbitrary: fc.Arbitrary<Step>) => ({ weight, arbitrary });
const outcome = fc.constantFrom(...outcomes);
const callStep = fc.record({
  kind: fc.constant("call"),
  breaker,
  outcome,
  signal: bool,
  wait: bool,
});
const step: fc.Arbitrary<Step> = fc.oneof(
  weighted(7, callStep),
  weighted(4, fc.record({ kind: fc.constant("settle"), index: fc.nat(), ok: bool })),
  weighted(1, fc.record({ kind: fc.constant("abort"), index: fc.nat() })),
  weighted(2, fc.record({ kind: fc.constant("advance"), ms: fc.constantFrom(1, 5, 11) })),
  weighted(1, fc.record({ kind: fc.constant("reconfigure"), breaker, maxCalls: oneToThree })),
  weighted(5, fc.record({ kind: fc.constantFrom(...byHand), breaker })),
  weighted(1, fc.record({ kind: fc.constantFrom("settleAll", "resetAll") })),
);
const setup: fc.Arbitrary<Setup> = fc.record({
  maxCalls: oneToThree,
  breakers: fc.array(
    fc.record({
      failMax: fc.integer({ min: 1, max: 2 }),
      successThreshold: oneToThree,
      halfOpenQueueSize: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 2, maxLength: 3 },
  ),
});

/** Interleavings too narrow to count on random steps to find, run first. */
const call = (breaker: number, outcome: Outcome, wait = false): Step => {
  return { kind: "call", breaker, outcome, signal: false, wait };
};
const options = (successThreshold: number, halfOpenQueueSize: number) => {
  return { failMax: 1, successThreshold, halfOpenQueueSize };
};
const twoHanging = (breaker: number) => [call(breaker, "hang"), call(breaker, "hang")];
const examples: [Setup, Step[]][] = [
  // Two trial slots freed in one tick beside two callers queued on the other breaker.
  [
    { maxCalls: 2, breakers: [options(3, 2), options(3, 0)] },
    [{ kind: "halfOpen", breaker: 1 }, ...twoHanging(1), ...twoHanging(0), { kind: "settleAll" }],
  ],
  // A forced-open breaker refuses after another breaker moved the storage: nothing new to wait for.
  [
    { maxCalls: 1, breakers: [options(1, 0), options(1, 0)] },
    [
      call(0, "ok"),
      { kind: "forceOpen", breaker: 0 },
      { kind: "close", breaker: 1 },
      call(0, "sync-ok", true),
    ],
  ],
];

interface Tracked {
  breaker: CircuitBreaker;
  lastTo: CircuitBreakerState | undefined;
  modeChanges: number;
}
/** What had happened when a rejection was raised. */
type Seen = Record<"changes" | "generation" | "modeChanges" | "reconfigures", number>;

const flush = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function runModel(config: Setup, steps: Step[], unhandled: unknown[]) {
  let now = 0;
  let reconfigures = 0;
  const clock = { now: () => now };
  const storage = new CountingStorage();
  const problems: string[] = [];
  const seenAt = new WeakMap<Error, Seen>();
  const calls: { tracked: Tracked; started: boolean; settled: boolean }[] = [];
  const waiters: { tracked: Tracked; seen: Seen; resolved: boolean }[] = [];
  const hung: { resolve: (v: number) => void; reject: (e: Error) => void; done: boolean }[] = [];
  const controllers: AbortController[] = [];
  const seen = (tracked: Tracked): Seen => ({
    changes: storage.changes,
    generation: storage.generation,
    modeChanges: tracked.modeChanges,
    reconfigures,
  });
  const all = config.breakers.map((options, i): Tracked => {
    const tracked = { lastTo: undefined, modeChanges: 0 } as Tracked; // breaker set below
    const name = `b${String(i)}`;
    tracked.breaker = new CircuitBreaker({
      name,
      storage,
      clock,
      ...options,
      resetTimeout: 10,
      halfOpenMaxCalls: config.maxCalls,
      onListenerError: (error, hook) => problems.push(`${name} ${hook} threw ${String(error)}`),
      listeners: [
        {
          stateChange: (b, from, to) => {
            if (from === to) problems.push(`${name} stateChange ${from} -> ${to}`);
            if (b.state !== to) problems.push(`${name} stateChange to ${to} reads ${b.state}`);
            if (tracked.lastTo !== undefined && tracked.lastTo !== from) {
              problems.push(`${name} stateChange ${from} -> ${to} after -> ${tracked.lastTo}`);
            }
            tracked.lastTo = to;
          },
          modeChange: () => tracked.modeChanges++,
          rejected: (_b, error) => seenAt.set(error, seen(tracked)),
        },
      ],
    });
    return tracked;
  });
  const pick = (index: number) => all[index % all.length] as Tracked;
  const unsettled = () => hung.filter((h) => !h.done);
  const settleAll = () => {
    for (const h of unsettled()) {
      h.done = true;
      h.resolve(1);
    }
  };

  /** A refusal with no retryAt: maybe wait for the change that may let the caller in. */
  const refused = (tracked: Tracked, error: unknown, wait: boolean) => {
    if (!wait || !(error instanceof CircuitBreakerError) || error.retryAt !== undefined) return;
    const when = seenAt.get(error);
    if (when === undefined) return void problems.push(`${error.message}: not heard by rejected`);
    const waiter = { tracked, seen: when, resolved: false };
    waiters.push(waiter);
    error.waitUntilRetry().then(
      () => {
        waiter.resolved = true;
        if (JSON.stringify(when) === JSON.stringify(seen(tracked))) {
          problems.push(`${error.message}: waitUntilRetry resolved with nothing changed`);
        }
      },
      (reason: unknown) => problems.push(`waitUntilRetry rejected: ${String(reason)}`),
    );
  };

  const startCall = (tracked: Tracked, outcome: Outcome, withSignal: boolean, wait: boolean) => {
    const call = { tracked, started: false, settled: false };
    calls.push(call);
    if (outcome === "sync-ok" || outcome === "sync-throw") {
      call.settled = true; // callSync answers by returning or throwing
      try {
        tracked.breaker.callSync(() => {
          call.started = true;
          if (outcome === "sync-throw") throw new Error("boom");
          return 1;
        });
      } catch (error) {
        refused(tracked, error, wait);
      }
      return;
    }
    const fn = (_options?: { signal: AbortSignal }) => {
      call.started = true;
      if (outcome === "ok") return 1;
      if (outcome === "throw") throw new Error("boom");
      if (outcome === "async") return Promise.resolve(2);
      return new Promise<number>((resolve, reject) => hung.push({ resolve, reject, done: false }));
    };
    const controller = withSignal ? new AbortController() : undefined;
    if (controller) controllers.push(controller);
    let promise: Promise<number>;
    try {
      const b = tracked.breaker;
      promise = controller ? b.execute(() => fn(), { signal: controller.signal }) : b.call(fn);
    } catch (error) {
      call.settled = true;
      return void problems.push(`call() threw synchronously: ${String(error)}`);
    }
    promise.then(
      () => (call.settled = true),
      (error: unknown) => {
        call.settled = true;
        refused(tracked, error, wait);
      },
    );
  };

  const check = (where: string, flushed: boolean) => {
    // Once pending jobs ran: nobody queued beside a free slot, no waiter missed a change.
    for (const call of flushed ? calls : []) {
      const b = call.tracked.breaker;
      if (call.settled || call.started || b.mode !== "enabled") continue;
      const free = storage.state === "half-open" && storage.trialCalls < b.halfOpenMaxCalls;
      if (storage.state === "closed" || free) {
        problems.push(`${b.name ?? ""} left a caller queued (${storage.state})`);
      }
    }
    for (const waiter of flushed ? waiters : []) {
      const { tracked, seen: when } = waiter;
      if (waiter.resolved) continue;
      if (storage.generation > when.generation || tracked.modeChanges > when.modeChanges) {
        problems.push(`${tracked.breaker.name ?? ""} left a waitUntilRetry waiting after a change`);
      }
    }
    expect(storage.trialCalls, where).toBeLessThanOrEqual(config.maxCalls);
    for (const { breaker: b } of all) {
      expect(b.inFlight, where).toBeGreaterThanOrEqual(0);
      if (b.mode === "forced-open") expect(b.state, where).toBe("open");
    }
    expect(problems, `${where}: ${problems.join("; ")}`).toEqual([]);
    expect(unhandled.map(String), `${where}: unhandled rejection`).toEqual([]);
  };

  const perform = (s: Step) => {
    if (s.kind === "call") startCall(pick(s.breaker), s.outcome, s.signal, s.wait);
    else if (s.kind === "settle") {
      const open = unsettled();
      const target = open[s.index % Math.max(1, open.length)];
      if (target) target.done = true;
      if (s.ok) target?.resolve(1);
      else target?.reject(new Error("late"));
    } else if (s.kind === "abort") {
      const live = controllers.filter((c) => !c.signal.aborted);
      live[s.index % Math.max(1, live.length)]?.abort();
    } else if (s.kind === "advance") now += s.ms;
    else if (s.kind === "reconfigure") {
      reconfigures++;
      const maxCalls = Math.min(s.maxCalls, config.maxCalls);
      pick(s.breaker).breaker.reconfigure({ halfOpenMaxCalls: maxCalls });
    } else if (s.kind === "settleAll") settleAll();
    else if (s.kind === "resetAll") for (const { breaker: b } of all) b.reset();
    else pick(s.breaker).breaker[s.kind]();
  };

  for (const [index, s] of steps.entries()) {
    perform(s);
    const where = `step ${String(index)} ${JSON.stringify(s)}`;
    check(where, false);
    await flush();
    check(`${where}, flushed`, true);
  }

  // Everyone enabled and all work settled: every call settles.
  for (let round = 0; round < 4; round++) {
    for (const { breaker: b } of all) b.enable();
    settleAll();
    await flush();
  }
  check("drained", true);
  expect(calls.filter((c) => !c.settled).length, "calls left unsettled").toBe(0);
  for (const { breaker: b } of all) expect(b.inFlight, `${b.name ?? ""} inFlight`).toBe(0);
  // One more real change: every waiter wakes, and nobody stays subscribed.
  pick(0).breaker.close();
  pick(0).breaker.open();
  await flush();
  expect(waiters.filter((w) => !w.resolved).length, "waiters never woken").toBe(0);
  // Breakers whose listeners hear changes stay subscribed, to hear the others' as they come;
  // nobody else does, and those subscriptions end with the listeners.
  expect(storage.live, "storage subscriptions beside the listening breakers").toBe(all.length);
  for (const { breaker: b } of all) for (const listener of b.listeners) b.removeListener(listener);
  expect(storage.live, "storage subscriptions left").toBe(0);
  check("end", true);
}

describe("breakers sharing one memory storage", () => {
  it("keep every invariant under random steps", { timeout: 30_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await fc.assert(
        fc.asyncProperty(setup, fc.array(step, { maxLength: 60, size: "max" }), (config, steps) =>
          runModel(config, steps, unhandled),
        ),
        { numRuns: 150, endOnFailure: true, examples },
      );
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
