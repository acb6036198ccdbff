import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  exponentialBackoff,
} from "../src/index.js";
import { drain, manualClock } from "./support.js";

const hang = (_options?: { signal?: AbortSignal }) => new Promise<never>(() => undefined);
const boom = () => {
  throw new Error("boom");
};

async function settled(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("half-open trial slots are never lost", () => {
  it("a woken waiter whose signal aborted meanwhile hands its slot on", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({
      failMax: 1,
      resetTimeout: 1_000,
      halfOpenQueueSize: 5,
      clock,
    });
    await settled(breaker.call(boom));
    time.now += 1_000;
    const shared = new AbortController();
    const trial = settled(breaker.execute(hang, { signal: shared.signal }));
    const queued = settled(breaker.execute(hang, { signal: shared.signal }));
    shared.abort(new Error("request ended"));
    expect(await trial).toEqual(new Error("request ended"));
    expect(await queued).toEqual(new Error("request ended"));
    // Nothing holds the slot any more: the next call is the trial, and closes the breaker.
    expect(await breaker.call(() => "ok")).toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("a breaker over shared storage applies halfOpenTimeout to a trial it admits after another breaker tripped", async () => {
    vi.useFakeTimers();
    const { time, clock } = manualClock();
    const storage = new CircuitMemoryStorage();
    const a = new CircuitBreaker({ failMax: 1, resetTimeout: 1_000, storage, clock });
    const b = new CircuitBreaker({
      failMax: 1,
      resetTimeout: 1_000,
      halfOpenTimeout: 50,
      storage,
      clock,
    });
    await b.call(() => "seen closed");
    await settled(a.call(boom));
    expect(b.state).toBe("open");
    time.now += 1_000;
    void b.call(hang);
    expect(b.state).toBe("half-open");
    await expect(b.call(() => "second")).rejects.toBeInstanceOf(CircuitBreakerError);
    await vi.advanceTimersByTimeAsync(50);
    // The stuck trial's slot was released: a new trial runs and closes the breaker.
    expect(await b.call(() => "after")).toBe("after");
    expect(storage.state).toBe("closed");
  });
});

describe("waiting to retry never spins", () => {
  it("a half-open rejection waits for the trial to settle, not a microtask", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 1_000, clock });
    await settled(breaker.call(boom));
    time.now += 1_000;
    let finishTrial!: (value: string) => void;
    const trial = breaker.call(() => new Promise<string>((resolve) => (finishTrial = resolve)));
    const rejection = await settled(breaker.call(() => "extra"));
    expect(rejection).toBeInstanceOf(CircuitBreakerError);
    expect((rejection as CircuitBreakerError).retryAt).toBeUndefined();
    let waited = false;
    const wait = (rejection as CircuitBreakerError).waitUntilRetry().then(() => {
      waited = true;
    });
    await drain();
    expect(waited).toBe(false);
    finishTrial("done");
    await trial;
    await wait;
    expect(waited).toBe(true);
    expect(breaker.state).toBe("closed");
  });

  it("a forced-open rejection and the breaker's own wait end when it is released", async () => {
    const breaker = new CircuitBreaker({ resetTimeout: 0 });
    breaker.forceOpen();
    const rejection = (await settled(breaker.call(() => 1))) as CircuitBreakerError;
    let errorWaited = false;
    let breakerWaited = false;
    const waits = [
      rejection.waitUntilRetry().then(() => (errorWaited = true)),
      breaker.waitUntilRetry().then(() => (breakerWaited = true)),
    ];
    await drain();
    expect([errorWaited, breakerWaited]).toEqual([false, false]);
    breaker.enable();
    await Promise.all(waits);
    expect([errorWaited, breakerWaited]).toEqual([true, true]);
  });

  it("a wait for the next change follows its signal", async () => {
    const breaker = new CircuitBreaker();
    breaker.forceOpen();
    const rejection = (await settled(breaker.call(() => 1))) as CircuitBreakerError;
    const controller = new AbortController();
    const wait = settled(rejection.waitUntilRetry(controller.signal));
    controller.abort(new Error("gave up"));
    expect(await wait).toEqual(new Error("gave up"));
    await expect(rejection.waitUntilRetry(42 as never)).rejects.toThrow(
      "signal must be an AbortSignal, got 42",
    );
  });
});

describe("durations beyond a timer's range", () => {
  const thirtyDays = 30 * 24 * 3_600_000;

  it("a call timeout longer than 2^31-1 ms is armed in rounds, never as an overflowing timer", async () => {
    vi.useFakeTimers();
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const breaker = new CircuitBreaker({ callTimeout: thirtyDays });
    const call = settled(breaker.call(hang));
    const delays = setTimeoutSpy.mock.calls.map((args) => args[1] ?? 0);
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
    await vi.advanceTimersByTimeAsync(thirtyDays);
    expect(await call).toMatchObject({ name: "CallTimeoutError" });
  });

  it("waitUntilRetry over a 30-day opening arms timers no longer than 2^31-1 ms", async () => {
    vi.useFakeTimers();
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const breaker = new CircuitBreaker({ resetTimeout: thirtyDays });
    breaker.open();
    let done = false;
    const wait = breaker.waitUntilRetry().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(thirtyDays - 1_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await wait;
    const delays = setTimeoutSpy.mock.calls.map((args) => args[1] ?? 0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
  });
});

describe("a backoff resetTimeout never ends an opening early", () => {
  const backoff = () => exponentialBackoff({ initial: 30_000, jitter: "none" });

  it("switching an open breaker from a number to a backoff keeps its retryAt", async () => {
    const { clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 60_000, clock });
    await settled(breaker.call(boom));
    const retryAt = breaker.retryAt;
    breaker.reconfigure({ resetTimeout: backoff() });
    expect(breaker.retryAt).toBe(retryAt);
    await expect(breaker.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerError);
  });

  it("forceOpen then enable opens for the backoff's duration", () => {
    const { clock } = manualClock();
    const breaker = new CircuitBreaker({ resetTimeout: backoff(), clock });
    breaker.forceOpen();
    breaker.enable();
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfter).toBe(30_000);
  });

  it("an opening another breaker recorded without a duration takes this breaker's backoff, asked once", async () => {
    const { clock } = manualClock();
    const storage = new CircuitMemoryStorage();
    const byNumber = new CircuitBreaker({ failMax: 1, resetTimeout: 60_000, storage, clock });
    let draws = 0;
    const byBackoff = new CircuitBreaker({
      storage,
      clock,
      resetTimeout: exponentialBackoff({
        initial: 10_000,
        jitter: "full",
        random: () => (draws++ % 2 === 0 ? 0.5 : 0.9),
      }),
    });
    await settled(byNumber.call(boom));
    expect(byNumber.retryAfter).toBe(60_000);
    const first = byBackoff.retryAfter;
    expect(first).toBeGreaterThan(0);
    expect(byBackoff.retryAfter).toBe(first);
    expect(draws).toBe(1);
  });

  it("a storage made open with a backoff breaker waits the backoff's first duration", () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({
      storage: new CircuitMemoryStorage("open", time.now),
      resetTimeout: backoff(),
      clock,
    });
    expect(breaker.retryAfter).toBe(30_000);
  });
});

describe("exclude predicates", () => {
  it("an async predicate is refused when given", () => {
    expect(() => new CircuitBreaker({ exclude: [async () => true] as never })).toThrow(
      "an exclude predicate must answer synchronously",
    );
    expect(() => {
      new CircuitBreaker().addExcludedException((async () => true) as never);
    }).toThrow(TypeError);
  });

  it("a predicate that returns a promise excludes nothing, and says so", async () => {
    const reported: [unknown, string][] = [];
    const breaker = new CircuitBreaker({
      failMax: 2,
      exclude: [() => Promise.resolve(true) as never],
      onListenerError: (error, hook) => {
        reported.push([error, hook]);
      },
    });
    await settled(breaker.call(boom));
    await settled(breaker.call(boom));
    expect(breaker.state).toBe("open");
    expect(reported).toHaveLength(2);
    expect(reported[0]?.[1]).toBe("exclude");
    expect(String(reported[0]?.[0])).toContain("returned a promise");
  });

  it("runs once per failure on the controlled path", async () => {
    let asked = 0;
    const breaker = new CircuitBreaker({
      exclude: [
        () => {
          asked++;
          return false;
        },
      ],
      fallback: () => "fallback",
    });
    expect(await breaker.call(boom)).toBe("fallback");
    expect(asked).toBe(1);
  });
});

describe("nothing escapes or is dropped", () => {
  it("callSync's TypeError carries the thenable it refused", async () => {
    const breaker = new CircuitBreaker({ onListenerError: () => undefined });
    const rejected = Promise.reject(new Error("db down"));
    let caught: unknown;
    try {
      void breaker.callSync(() => rejected);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as TypeError).cause).toBe(rejected);
    await expect((caught as TypeError).cause).rejects.toThrow("db down");
  });

  it("call() of a function this breaker guards answers a refusal with a promise, never a throw", async () => {
    const breaker = new CircuitBreaker();
    const generate = breaker.protect(function* () {
      yield 1;
    });
    breaker.open();
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = breaker.call(generate);
    }).not.toThrow();
    await expect(result).rejects.toBeInstanceOf(CircuitBreakerError);
  });

  it("an async onListenerError that rejects reaches the console, not an unhandled rejection", async () => {
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const handlerError = new Error("handler down");
    const breaker = new CircuitBreaker({
      listeners: [{ success: boom }],
      onListenerError: async () => {
        await Promise.resolve();
        throw handlerError;
      },
    });
    await breaker.call(() => 1);
    await drain();
    expect(consoleError).toHaveBeenCalledWith(handlerError, new Error("boom"));
  });

  it("call() hands a fetch-style options argument to the function untouched, signal: null included", async () => {
    const breaker = new CircuitBreaker({ callTimeout: 1_000 });
    const seen: unknown[] = [];
    const init = { method: "GET", signal: null };
    const fetchLike = (url: string, given: { method: string; signal: AbortSignal | null }) => {
      seen.push(url, given);
      return Promise.resolve("body");
    };
    expect(await breaker.call(fetchLike, "/x", init)).toBe("body");
    expect(seen).toEqual(["/x", init]);
    expect(seen[1]).toBe(init);
  });
});
