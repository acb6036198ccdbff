import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerError,
  ConcurrencyLimitError,
  type CircuitBreakerOptions,
} from "../src/index.js";

function setup(options: CircuitBreakerOptions = {}) {
  const time = { now: 1_000 };
  const log: string[] = [];
  const breaker = new CircuitBreaker({
    clock: { now: () => time.now },
    onListenerError: (error) => {
      throw error;
    },
    listeners: [
      {
        success: () => log.push("success"),
        failure: (_b, error) => log.push(`failure:${(error as Error).name}`),
        stateChange: (_b, from, to) => log.push(`${from}->${to}`),
        rejected: (_b, error) => log.push(`rejected:${error.name}`),
        timeout: () => log.push("timeout"),
        neutral: (_b, reason) => log.push(`neutral:${reason}`),
        slow: (_b, duration) => log.push(`slow:${String(duration)}`),
        modeChange: (_b, from, to) => log.push(`mode:${from}->${to}`),
      },
    ],
    ...options,
  });
  return { breaker, time, log };
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );
}

/** A function that settles only when told to, and records the signal it was given. */
function manual() {
  const calls: {
    signal: AbortSignal | undefined;
    resolve: (v: string) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const fn = (_id: string, options?: { signal?: AbortSignal | undefined }) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ signal: options?.signal, resolve, reject });
    });
  return { fn, calls };
}

describe("callTimeout", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fails a call that runs past the timeout with CallTimeoutError, counted as a failure", async () => {
    const { breaker, log } = setup({ name: "svc", callTimeout: 100, failMax: 2 });
    const { fn, calls } = manual();
    const pending = outcome(breaker.execute(({ signal }) => fn("a", { signal })));
    await vi.advanceTimersByTimeAsync(99);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect((error as CallTimeoutError).message).toBe(
      'Call through circuit breaker "svc" timed out after 100 ms',
    );
    expect(breaker.failCounter).toBe(1);
    expect(log).toEqual(["timeout", "failure:CallTimeoutError"]);
    // The function's own signal was aborted with the same error.
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(calls[0]?.signal?.reason).toBe(error);
    // Its late result changes nothing.
    calls[0]?.resolve("late");
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.failCounter).toBe(1);
  });

  it("aborts only the call that timed out, never another", async () => {
    const { breaker } = setup({ callTimeout: 100, failMax: 10 });
    const { fn, calls } = manual();
    const first = outcome(breaker.execute(({ signal }) => fn("a", { signal })));
    await vi.advanceTimersByTimeAsync(50);
    const second = outcome(breaker.execute(({ signal }) => fn("b", { signal })));
    await vi.advanceTimersByTimeAsync(50);
    expect(await first).toBeInstanceOf(CallTimeoutError);
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(calls[1]?.signal?.aborted).toBe(false);
    calls[1]?.resolve("b done");
    expect(await second).toEqual({ value: "b done" });
    expect(breaker.failCounter).toBe(0);
  });

  it("passes call()'s arguments through untouched, an object with a signal key too", async () => {
    const { breaker } = setup({ callTimeout: 100 });
    const seen: unknown[][] = [];
    const kill = (...args: unknown[]) => {
      seen.push(args);
      return "killed";
    };
    const options = { pid: 123, signal: "SIGTERM" };
    expect(await breaker.call(kill, options)).toBe("killed");
    expect(await breaker.call(kill, "y", { signal: undefined })).toBe("killed");
    expect(seen[0]?.[0]).toBe(options);
    expect(seen[1]).toEqual(["y", { signal: undefined }]);
  });

  it("gives protect(fn, { signal: 'last' }) the call's signal in its last parameter", async () => {
    const { breaker } = setup({ callTimeout: 100 });
    const { fn, calls } = manual();
    const guarded = breaker.protect((id: string, signal: AbortSignal) => fn(id, { signal }), {
      signal: "last",
    });
    const caller = new AbortController();
    const timedOut = outcome(guarded("a"));
    const aborted = outcome(guarded("b", caller.signal));
    expect(calls.map((call) => call.signal)).toEqual([
      expect.any(AbortSignal),
      expect.any(AbortSignal),
    ]);
    // Under callTimeout each call has a signal of its own, never the caller's itself.
    expect(calls[1]?.signal).not.toBe(caller.signal);
    caller.abort(new Error("user left"));
    expect(await aborted).toEqual(new Error("user left"));
    expect(calls[1]?.signal?.reason).toEqual(new Error("user left"));
    await vi.advanceTimersByTimeAsync(100);
    expect(await timedOut).toBeInstanceOf(CallTimeoutError);
    expect(calls[0]?.signal?.reason).toBeInstanceOf(CallTimeoutError);
    expect(await outcome(guarded("c", "nope" as unknown as AbortSignal))).toEqual(
      new TypeError('argument 2 (the signal) must be an AbortSignal or undefined, got "nope"'),
    );
  });

  it("times out a call without options too, and holds no referenced timer once it settles", async () => {
    const { breaker } = setup({ callTimeout: 100 });
    const never = () => new Promise(() => undefined);
    const pending = outcome(breaker.call(never));
    await vi.advanceTimersByTimeAsync(100);
    expect(await pending).toBeInstanceOf(CallTimeoutError);
    expect(vi.getTimerCount()).toBe(0);
    await breaker.call(() => "quick");
    // At most the single shared timer remains, and it runs out within one timeout.
    expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reaches the fallback with the CallTimeoutError", async () => {
    const { breaker } = setup({
      callTimeout: 10,
      fallback: (error, id) => `fallback for ${String(id)}: ${(error as Error).name}`,
    });
    const pending = breaker.call((_id: string) => new Promise<string>(() => undefined), "a");
    await vi.advanceTimersByTimeAsync(10);
    expect(await pending).toBe("fallback for a: CallTimeoutError");
  });
});

describe("caller cancellation", () => {
  it("is neutral: rejects at once with the reason, counts nothing", async () => {
    const { breaker, log } = setup({ failMax: 1 });
    const { fn, calls } = manual();
    const controller = new AbortController();
    const pending = outcome(
      breaker.execute(({ signal }) => fn("a", { signal }), { signal: controller.signal }),
    );
    controller.abort(new Error("user left"));
    expect(await pending).toEqual(new Error("user left"));
    expect(calls[0]?.signal).toBe(controller.signal);
    calls[0]?.reject(new Error("aborted work"));
    await Promise.resolve();
    expect([breaker.state, breaker.failCounter]).toEqual(["closed", 0]);
    expect(log).toEqual(["neutral:aborted"]);
  });

  it("frees a half-open trial slot without a verdict", async () => {
    const { breaker, time } = setup({ failMax: 1, resetTimeout: 10 });
    breaker.open();
    time.now += 10;
    const { fn } = manual();
    const controller = new AbortController();
    const trial = outcome(
      breaker.execute(({ signal }) => fn("a", { signal }), { signal: controller.signal }),
    );
    expect(breaker.state).toBe("half-open");
    expect(await outcome(breaker.call(() => "second"))).toBeInstanceOf(CircuitBreakerError);
    controller.abort();
    await trial;
    expect(await breaker.call(() => "third")).toBe("third");
    expect(breaker.state).toBe("closed");
  });

  it("never starts a call whose signal is already aborted, and rejects a bad signal", async () => {
    const { breaker, log } = setup();
    const fn = vi.fn(() => "ran");
    expect(
      await outcome(breaker.execute(fn, { signal: AbortSignal.abort(new Error("early")) })),
    ).toEqual(new Error("early"));
    const bad = await outcome(breaker.execute(fn, { signal: "nope" as unknown as AbortSignal }));
    expect((bad as Error).message).toBe(
      'execute options: signal must be an AbortSignal or undefined, got "nope"',
    );
    const nullSignal = await outcome(breaker.execute(fn, { signal: null as unknown as undefined }));
    expect((nullSignal as Error).message).toBe(
      "execute options: signal must not be null; leave it out or pass undefined for the default",
    );
    expect(fn).not.toHaveBeenCalled();
    expect(log).toEqual([]);
    // Each call is counted once, as neutral: it ended before it began.
    expect(breaker.stats).toMatchObject({ calls: 1, neutral: 1 });
  });
});

describe("maxConcurrentCalls", () => {
  it("refuses beyond the limit with its own error, not a failure, and frees on real settle", async () => {
    const { breaker, log } = setup({ name: "db", maxConcurrentCalls: 2, failMax: 1 });
    const { fn, calls } = manual();
    const a = outcome(breaker.call(fn, "a"));
    const b = outcome(breaker.call(fn, "b"));
    const refused = await outcome(breaker.call(fn, "c"));
    expect(refused).toBeInstanceOf(ConcurrencyLimitError);
    expect((refused as ConcurrencyLimitError).limit).toBe(2);
    expect(breaker.failCounter).toBe(0);
    expect(log).toEqual(["rejected:ConcurrencyLimitError"]);
    calls[0]?.resolve("a");
    await a;
    expect(await breaker.call(() => "d")).toBe("d");
    calls[1]?.resolve("b");
    await b;
  });

  it("keeps a timed-out call's slot until its work really settles", async () => {
    vi.useFakeTimers();
    try {
      const { breaker } = setup({ maxConcurrentCalls: 1, callTimeout: 10, failMax: 5 });
      const { fn, calls } = manual();
      const first = outcome(breaker.call(fn, "a"));
      await vi.advanceTimersByTimeAsync(10);
      expect(await first).toBeInstanceOf(CallTimeoutError);
      expect(await outcome(breaker.call(() => "b"))).toBeInstanceOf(ConcurrencyLimitError);
      calls[0]?.resolve("finally");
      await vi.advanceTimersByTimeAsync(0);
      expect(await breaker.call(() => "c")).toBe("c");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("fallback", () => {
  it("gets rejections and counted failures, not excluded errors", async () => {
    class NotFound extends Error {}
    const { breaker } = setup({
      failMax: 2,
      exclude: [NotFound],
      fallback: (error, ...args) => ({ error: (error as Error).name, args }),
    });
    expect(await outcome(breaker.call(() => Promise.reject(new NotFound("nf"))))).toBeInstanceOf(
      NotFound,
    );
    expect(await breaker.call((_n: number) => Promise.reject(new Error("x")), 1)).toEqual({
      error: "Error",
      args: [1],
    });
    expect(await breaker.call(() => Promise.reject(new Error("y")))).toEqual({
      error: "CircuitBreakerError",
      args: [],
    });
    // That second failure tripped it: the fallback got the trip's CircuitBreakerError.
    expect(breaker.state).toBe("open");
    expect(await breaker.call((_n: number) => "never runs", 7)).toEqual({
      error: "CircuitBreakerError",
      args: [7],
    });
  });

  it("per protect replaces the breaker's, and a throwing fallback rejects with its error", async () => {
    const { breaker } = setup({ fallback: () => "breaker-level" });
    breaker.open();
    const guarded = breaker.protect((id: number) => id * 2, { fallback: () => -1 });
    expect(await guarded(2)).toBe(-1);
    const throwing = breaker.protect((id: number) => id, {
      fallback: () => {
        throw new Error("fallback broke");
      },
    });
    expect(await outcome(throwing(1))).toEqual(new Error("fallback broke"));
    expect(await breaker.call(() => 0)).toBe("breaker-level");
  });
});

describe("slow calls", () => {
  it("reports slow calls and trips on the slow-call rate; a slow success still returns", async () => {
    const { breaker, time, log } = setup({
      window: { calls: 4 },
      minimumCalls: 2,
      slowCallDuration: 100,
      slowCallRateThreshold: 50,
    });
    const slowly = (ms: number) => () =>
      Promise.resolve().then(() => {
        time.now += ms;
        return ms;
      });
    expect(await breaker.call(slowly(10))).toBe(10);
    expect(await breaker.call(slowly(150))).toBe(150);
    expect(breaker.state).toBe("open");
    expect(log).toEqual(["success", "slow:150", "success", "closed->open"]);
    expect(breaker.metrics).toMatchObject({ calls: 2, failures: 0, slowCalls: 1 });
  });
});

describe("half-open control", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("halfOpenTimeout frees a stuck trial's slot; its late result decides nothing", async () => {
    const { breaker, time, log } = setup({ resetTimeout: 10, halfOpenTimeout: 50 });
    breaker.open();
    time.now += 10;
    const { fn, calls } = manual();
    const stuck = outcome(breaker.call(fn, "probe"));
    expect(await outcome(breaker.call(() => "x"))).toBeInstanceOf(CircuitBreakerError);
    await vi.advanceTimersByTimeAsync(50);
    expect(log).toContain("neutral:half-open-timeout");
    expect(await breaker.call(() => "second probe")).toBe("second probe");
    expect(breaker.state).toBe("closed");
    calls[0]?.reject(new Error("late"));
    expect(await stuck).toEqual(new Error("late"));
    expect([breaker.state, breaker.failCounter]).toEqual(["closed", 0]);
  });

  it("queues callers beyond halfOpenMaxCalls, admits them when the trial closes the breaker", async () => {
    const { breaker, time } = setup({ resetTimeout: 10, halfOpenQueueSize: 2 });
    breaker.open();
    time.now += 10;
    const { fn, calls } = manual();
    const trial = breaker.call(fn, "t");
    const waiting1 = breaker.call(() => "w1");
    const waiting2 = breaker.call(() => "w2");
    expect(await outcome(breaker.call(() => "w3"))).toBeInstanceOf(CircuitBreakerError);
    calls[0]?.resolve("trial ok");
    expect(await trial).toBe("trial ok");
    expect(await Promise.all([waiting1, waiting2])).toEqual(["w1", "w2"]);
  });

  it("rejects queued callers when the trial re-opens, and lets an aborted waiter leave", async () => {
    const { breaker, time } = setup({ resetTimeout: 10, halfOpenQueueSize: 2 });
    breaker.open();
    time.now += 10;
    const { fn, calls } = manual();
    const trial = outcome(breaker.call(fn, "t"));
    const controller = new AbortController();
    const leaving = outcome(breaker.execute(() => "never", { signal: controller.signal }));
    const waiting = outcome(breaker.call(() => "never"));
    controller.abort(new Error("gone"));
    expect(await leaving).toEqual(new Error("gone"));
    calls[0]?.reject(new Error("still down"));
    expect(await trial).toBeInstanceOf(CircuitBreakerError);
    const rejected = await waiting;
    expect(rejected).toBeInstanceOf(CircuitBreakerError);
    expect((rejected as CircuitBreakerError).state).toBe("open");
  });
});

describe("modes", () => {
  it("disable() lets calls through and records outcomes without tripping", async () => {
    const { breaker, log } = setup({ failMax: 1 });
    breaker.disable();
    expect(breaker.mode).toBe("disabled");
    await outcome(breaker.call(() => Promise.reject(new Error("a"))));
    await outcome(breaker.call(() => Promise.reject(new Error("b"))));
    expect([breaker.state, breaker.failCounter]).toEqual(["closed", 2]);
    breaker.enable();
    expect(log).toEqual([
      "mode:enabled->disabled",
      "failure:Error",
      "failure:Error",
      "mode:disabled->enabled",
    ]);
    await outcome(breaker.call(() => Promise.reject(new Error("c"))));
    expect(breaker.state).toBe("open");
  });

  it("forceOpen() rejects every call with no trial until enable(); reset() starts afresh", async () => {
    const { breaker, time, log } = setup({ resetTimeout: 10 });
    breaker.forceOpen();
    time.now += 1e9;
    expect([breaker.state, breaker.mode, breaker.retryAt]).toEqual([
      "open",
      "forced-open",
      undefined,
    ]);
    const refused = await outcome(breaker.call(() => "x"));
    expect((refused as Error).message).toBe("Circuit breaker is forced open");
    expect(() => breaker.callSync(() => 1)).toThrow(CircuitBreakerError);
    breaker.enable();
    expect(await breaker.call(() => "trial")).toBe("trial");
    breaker.forceOpen();
    breaker.reset();
    expect([breaker.state, breaker.mode]).toEqual(["closed", "enabled"]);
    expect(log).toEqual([
      "mode:enabled->forced-open",
      "closed->open",
      "rejected:CircuitBreakerError",
      "rejected:CircuitBreakerError",
      "mode:forced-open->enabled",
      "open->half-open",
      "half-open->closed",
      "success",
      "mode:enabled->forced-open",
      "closed->open",
      "mode:forced-open->enabled",
      "open->closed",
    ]);
  });
});
