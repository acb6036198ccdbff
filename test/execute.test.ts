import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerError,
  FailedResultError,
  type CircuitBreakerOptions,
} from "../src/index.js";
import { deferred, manualClock } from "./support.js";

afterEach(() => {
  vi.useRealTimers();
});

function recording(options: CircuitBreakerOptions = {}) {
  const log: string[] = [];
  const reported: [unknown, string][] = [];
  const breaker = new CircuitBreaker({
    onListenerError: (error, source) => {
      reported.push([error, source]);
    },
    listeners: [
      {
        success: (_b, info) => log.push(`success:${info.outcome}`),
        failure: (_b, error, info) => log.push(`failure:${(error as Error).name}:${info.outcome}`),
        timeout: (_b, _error, info) => log.push(`timeout:${info.outcome}`),
        neutral: (_b, reason) => log.push(`neutral:${reason}`),
        stateChange: (_b, from, to) => log.push(`${from}->${to}`),
      },
    ],
    ...options,
  });
  return { breaker, log, reported };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );

describe("execute", () => {
  it("hands the function the caller's own signal when nothing else can end the call", async () => {
    const breaker = new CircuitBreaker();
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    expect(
      await breaker.execute(
        ({ signal }) => {
          seen = signal;
          return "ok";
        },
        { signal: caller.signal },
      ),
    ).toBe("ok");
    expect(seen).toBe(caller.signal);
  });

  it("without a caller's signal or a timeout, hands a signal that never aborts, made only when read", async () => {
    const breaker = new CircuitBreaker();
    const signals: AbortSignal[] = [];
    await breaker.execute((context) => {
      signals.push(context.signal);
      // Read twice: the same signal.
      signals.push(context.signal);
    });
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(signals[0]).toBe(signals[1]);
    expect(signals[0]?.aborted).toBe(false);
    expect(await breaker.execute(() => "never read")).toBe("never read");
  });

  it("under callTimeout aborts the function's signal with the CallTimeoutError, even one read late", async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ callTimeout: 50 });
    let context: { signal: AbortSignal } | undefined;
    const pending = settled(
      breaker.execute((given) => {
        context = given;
        return new Promise(() => undefined);
      }),
    );
    await vi.advanceTimersByTimeAsync(50);
    const error = await pending;
    expect(error).toBeInstanceOf(CallTimeoutError);
    // Read only after the call ended: it is born aborted, with the same reason.
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBe(error);
  });

  it("refuses a non-function and bad options as rejections naming them", async () => {
    const breaker = new CircuitBreaker();
    await expect(breaker.execute(42 as never)).rejects.toThrow(
      new TypeError("execute expects a function, got 42"),
    );
    await expect(breaker.execute(() => 1, { retries: 3 } as never)).rejects.toThrow(
      'unknown option "retries"; execute options takes: signal, fallback, isFailureResult',
    );
    await expect(breaker.execute(() => 1, { fallback: "no" as never })).rejects.toThrow(
      'fallback must be a function, got "no"',
    );
    await expect(
      breaker.execute(() => 1, { isFailureResult: (async () => true) as never }),
    ).rejects.toThrow("isFailureResult must answer synchronously");
  });

  it("runs its own fallback with the error only", async () => {
    const breaker = new CircuitBreaker({ fallback: () => "breaker's" });
    breaker.open();
    const fallback = vi.fn((error: unknown) => `own: ${(error as Error).name}`);
    expect(await breaker.execute(() => "never", { fallback })).toBe("own: CircuitBreakerError");
    expect(fallback.mock.calls[0]).toHaveLength(1);
    expect(breaker.stats.fallbacks).toBe(1);
  });
});

describe("a caller's deadline", () => {
  it("is a timeout when the abort's reason is a TimeoutError: counted as a failure, fallback runs", async () => {
    const { breaker, log } = recording({ failMax: 1, fallback: (error) => (error as Error).name });
    const caller = new AbortController();
    const pending = breaker.execute(() => new Promise(() => undefined), {
      signal: caller.signal,
    });
    caller.abort(new DOMException("The operation timed out.", "TimeoutError"));
    expect(await pending).toBe("CircuitBreakerError");
    expect(log).toEqual(["timeout:timeout", "failure:TimeoutError:timeout", "closed->open"]);
    expect(breaker.stats).toMatchObject({ timeouts: 1, failures: 0, fallbacks: 1 });
  });

  it("from AbortSignal.timeout() fails the call with its own reason", async () => {
    const { breaker } = recording({ failMax: 5 });
    const error = await settled(
      breaker.execute(() => new Promise(() => undefined), { signal: AbortSignal.timeout(1) }),
    );
    expect((error as Error).name).toBe("TimeoutError");
    expect([breaker.failCounter, breaker.stats.timeouts]).toEqual([1, 1]);
  });

  it("any other abort stays neutral, without the fallback", async () => {
    const { breaker, log } = recording({ failMax: 1, fallback: () => "fallback" });
    const caller = new AbortController();
    const pending = settled(
      breaker.execute(() => new Promise(() => undefined), { signal: caller.signal }),
    );
    caller.abort(new Error("user left"));
    expect(await pending).toEqual(new Error("user left"));
    expect(log).toEqual(["neutral:aborted"]);
    expect([breaker.state, breaker.stats.neutral, breaker.stats.fallbacks]).toEqual([
      "closed",
      1,
      0,
    ]);
  });

  it("a reason whose name cannot be read is an abort like any other", async () => {
    const { breaker, log } = recording();
    const caller = new AbortController();
    const pending = settled(
      breaker.execute(() => new Promise(() => undefined), { signal: caller.signal }),
    );
    const reason = {
      get name(): string {
        throw new Error("hostile");
      },
    };
    caller.abort(reason);
    expect(await pending).toBe(reason);
    expect(log).toEqual(["neutral:aborted"]);
  });
});

describe("isFailureResult", () => {
  const serverError = { status: 503 };
  const ok = { status: 200 };
  const isServerError = (result: unknown) => (result as { status: number }).status >= 500;

  it("counts a judged result as a failure while the caller still gets it, also when it trips", async () => {
    const { breaker, log } = recording({
      failMax: 2,
      isFailureResult: isServerError,
      fallback: () => "fallback must not run for a result",
    });
    expect(await breaker.call(() => Promise.resolve(serverError))).toBe(serverError);
    expect(await breaker.call(() => ok)).toBe(ok);
    expect(breaker.failCounter).toBe(0);
    expect(await breaker.call(() => serverError)).toBe(serverError);
    expect(await breaker.call(() => Promise.resolve(serverError))).toBe(serverError);
    expect(breaker.state).toBe("open");
    expect(log).toEqual([
      "failure:FailedResultError:failure",
      "success:success",
      "failure:FailedResultError:failure",
      "failure:FailedResultError:failure",
      "closed->open",
    ]);
    expect(breaker.stats).toMatchObject({ failures: 3, successes: 1, fallbacks: 0 });
  });

  it("hands retryAfterFrom and the failure hook a FailedResultError carrying the result", async () => {
    const seen: unknown[] = [];
    const breaker = new CircuitBreaker({
      failMax: 1,
      isFailureResult: isServerError,
      retryAfterFrom: (error) => {
        seen.push(error);
        return 5_000;
      },
      clock: manualClock(0).clock,
    });
    await breaker.call(() => serverError);
    expect(seen[0]).toBeInstanceOf(FailedResultError);
    expect((seen[0] as FailedResultError).result).toBe(serverError);
    expect(breaker.retryAfter).toBe(5_000);
  });

  it("per protect and per execute, replacing the breaker's", async () => {
    const breaker = new CircuitBreaker({ failMax: 10, isFailureResult: () => true });
    const lenient = breaker.protect((value: number) => value, { isFailureResult: () => false });
    expect(await lenient(1)).toBe(1);
    expect(breaker.failCounter).toBe(0);
    expect(await breaker.execute(() => "x", { isFailureResult: (value) => value === "x" })).toBe(
      "x",
    );
    expect(await breaker.call(() => "y")).toBe("y");
    expect(breaker.failCounter).toBe(2);
  });

  it("a predicate that throws or answers with a promise counts nothing and is reported", async () => {
    const thrown = new Error("predicate bug");
    const { breaker, reported } = recording({
      isFailureResult: () => {
        throw thrown;
      },
    });
    expect(await breaker.call(() => 1)).toBe(1);
    breaker.reconfigure({
      isFailureResult: (() => Promise.reject(new Error("late verdict"))) as never,
    });
    expect(await breaker.call(() => 2)).toBe(2);
    await Promise.resolve();
    expect(breaker.failCounter).toBe(0);
    expect(reported.map(([error, source]) => [(error as Error).message, source])).toEqual([
      ["predicate bug", "isFailureResult"],
      [
        "isFailureResult must answer synchronously; it returned a promise, so the result counts as a success",
        "isFailureResult",
      ],
      ["late verdict", "isFailureResult"],
    ]);
  });

  it("judges callSync's result too, and refuses an async predicate at construction", () => {
    const breaker = new CircuitBreaker({ failMax: 1, isFailureResult: (v) => v === "bad" });
    expect(breaker.callSync(() => "bad")).toBe("bad");
    expect(breaker.state).toBe("open");
    expect(() => new CircuitBreaker({ isFailureResult: (async () => true) as never })).toThrow(
      "isFailureResult must answer synchronously, got the async function",
    );
  });
});

describe("protect(fn, { signal: 'last' })", () => {
  it("needs the signal parameter declared, and takes only 'last'", () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.protect(() => 1, { signal: "last" } as never)).toThrow(
      "needs fn to declare its signal as its last parameter",
    );
    expect(() => breaker.protect((_s: AbortSignal) => 1, { signal: "first" } as never)).toThrow(
      'protect option signal must be "last", got "first"',
    );
    expect(() => breaker.protect((_s: AbortSignal) => 1, { fallback: null } as never)).toThrow(
      "protect options: fallback must not be null",
    );
  });

  it("fills a missing signal argument and leaves the other arguments as given", async () => {
    const breaker = new CircuitBreaker();
    const seen: unknown[][] = [];
    const guarded = breaker.protect(
      (a: number, b: string | undefined, signal: AbortSignal) => {
        seen.push([a, b, signal instanceof AbortSignal]);
        return a;
      },
      { signal: "last" },
    );
    // Called with fewer arguments than declared (as JavaScript allows): the signal still lands last.
    expect(await (guarded as (a: number) => Promise<number>)(1)).toBe(1);
    expect(await guarded(2, "b", undefined)).toBe(2);
    expect(seen).toEqual([
      [1, undefined, true],
      [2, "b", true],
    ]);
  });

  it("as a decorator: the method's last parameter gets the call's signal", async () => {
    const breaker = new CircuitBreaker({ callTimeout: 1_000 });
    const work = deferred();
    let seen: AbortSignal | undefined;
    const method = function (this: { base: number }, id: number, signal: AbortSignal) {
      seen = signal;
      return work.promise.then(() => this.base + id);
    };
    const decorate = breaker.protect({ signal: "last" });
    const guarded = decorate(method, { kind: "method", name: "find" } as never) as (
      this: { base: number },
      id: number,
      signal?: AbortSignal,
    ) => Promise<number>;
    const caller = new AbortController();
    const pending = settled(guarded.call({ base: 10 }, 1, caller.signal));
    caller.abort(new Error("gone"));
    expect(await pending).toEqual(new Error("gone"));
    expect(seen?.aborted).toBe(true);
    work.resolve(undefined);
    expect(await guarded.call({ base: 10 }, 2)).toBe(12);
  });
});

describe("the half-open trial under a deadline", () => {
  it("a caller's TimeoutError abort re-opens, as a failed trial", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    breaker.open();
    time.now += 10;
    const caller = new AbortController();
    const trial = settled(
      breaker.execute(() => new Promise(() => undefined), { signal: caller.signal }),
    );
    expect(breaker.state).toBe("half-open");
    caller.abort(new DOMException("late", "TimeoutError"));
    expect(await trial).toBeInstanceOf(CircuitBreakerError);
    expect(breaker.state).toBe("open");
  });
});
