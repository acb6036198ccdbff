import { describe, expect, it, vi } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitBreakerListener,
  CircuitMemoryStorage,
  type CircuitBreakerOptions,
} from "../src/index.js";

function setup(options: CircuitBreakerOptions = {}) {
  const time = { now: 1_000 };
  const log: string[] = [];
  const onListenerError = vi.fn();
  const breaker = new CircuitBreaker({
    clock: { now: () => time.now },
    onListenerError,
    listeners: [
      {
        beforeCall: () => log.push("beforeCall"),
        success: () => log.push("success"),
        failure: () => log.push("failure"),
        stateChange: (_b, from, to) => log.push(`${from}->${to}`),
      },
    ],
    ...options,
  });
  return { breaker, time, log, onListenerError };
}

const ok =
  (value = "ok") =>
  () =>
    Promise.resolve(value);
const boom =
  (message = "boom") =>
  () =>
    Promise.reject(new Error(message));

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );
}

describe("closed state", () => {
  it("counts consecutive failures, resets on success, trips at failMax with cause", async () => {
    const { breaker, log } = setup({ failMax: 3 });
    await outcome(breaker.call(boom()));
    await outcome(breaker.call(boom()));
    expect(breaker.failCounter).toBe(2);
    await breaker.call(ok());
    expect(breaker.failCounter).toBe(0);
    log.length = 0;
    await outcome(breaker.call(boom()));
    await outcome(breaker.call(boom()));
    const trip = await outcome(breaker.call(boom("third")));
    expect(trip).toBeInstanceOf(CircuitBreakerError);
    expect((trip as CircuitBreakerError).cause).toEqual(new Error("third"));
    expect(breaker.state).toBe("open");
    expect(breaker.openedAt).toBe(1_000);
    expect(breaker.retryAt).toBe(61_000);
    expect(log.slice(-3)).toEqual(["beforeCall", "failure", "closed->open"]);
  });

  it("runs synchronous functions and always returns a promise", async () => {
    const { breaker } = setup();
    const result = breaker.call((a: number, b: number) => a + b, 2, 3);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(5);
    const thrown = breaker.call(() => {
      throw new Error("sync");
    });
    await expect(thrown).rejects.toThrow("sync");
    expect(breaker.failCounter).toBe(1);
  });

  it("accepts foreign thenables", async () => {
    const { breaker } = setup();
    const thenable = {
      then: (resolve: (v: number) => void) => {
        resolve(7);
      },
    };
    expect(await breaker.call(() => thenable)).toBe(7);
  });

  it("rejects call(42) and throws callSync(42) with a TypeError, counting nothing", async () => {
    const { breaker, log } = setup();
    await expect(breaker.call(42 as never)).rejects.toThrow(/call expects a function, got 42/);
    expect(() => breaker.callSync("f" as never)).toThrow(/callSync expects a function, got "f"/);
    expect(log).toEqual([]);
  });
});

describe("open and half-open", () => {
  it("rejects without running, then admits a trial at exactly retryAt", async () => {
    const { breaker, time, log } = setup({ failMax: 1, resetTimeout: 500 });
    await outcome(breaker.call(boom()));
    const fn = vi.fn(ok());
    time.now = 1_499;
    const rejected = await outcome(breaker.call(fn));
    expect(rejected).toBeInstanceOf(CircuitBreakerError);
    expect((rejected as CircuitBreakerError).retryAfter).toBe(1);
    expect(fn).not.toHaveBeenCalled();
    log.length = 0;
    time.now = 1_500;
    await breaker.call(fn);
    expect(fn).toHaveBeenCalledOnce();
    expect(log).toEqual(["open->half-open", "beforeCall", "half-open->closed", "success"]);
    expect(breaker.state).toBe("closed");
    expect(breaker.openedAt).toBeUndefined();
  });

  it("re-opens on a failed trial with a new openedAt", async () => {
    const { breaker, time, log } = setup({ failMax: 1, resetTimeout: 0 });
    await outcome(breaker.call(boom()));
    time.now = 2_000;
    log.length = 0;
    const trip = await outcome(breaker.call(boom()));
    expect(trip).toBeInstanceOf(CircuitBreakerError);
    expect((trip as Error).message).toMatch(/re-opened/);
    expect(log).toEqual(["open->half-open", "beforeCall", "failure", "half-open->open"]);
    expect(breaker.openedAt).toBe(2_000);
    expect(breaker.failCounter).toBe(2);
  });

  it("throwNewErrorOnTrip: false rethrows the original on trip and on a failed trial", async () => {
    const { breaker } = setup({ failMax: 1, resetTimeout: 0, throwNewErrorOnTrip: false });
    await expect(breaker.call(boom("a"))).rejects.toThrow("a");
    expect(breaker.state).toBe("open");
    await expect(breaker.call(boom("b"))).rejects.toThrow("b");
    expect(breaker.state).toBe("open");
  });

  it("admits halfOpenMaxCalls trials at once and needs successThreshold successes", async () => {
    const { breaker } = setup({ halfOpenMaxCalls: 2, successThreshold: 2 });
    breaker.halfOpen();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = () => gate.then(() => "slow");
    const first = breaker.call(slow);
    const second = breaker.call(slow);
    const third = await outcome(breaker.call(ok()));
    expect(third).toBeInstanceOf(CircuitBreakerError);
    expect((third as CircuitBreakerError).state).toBe("half-open");
    release();
    await Promise.all([first, second]);
    expect(breaker.state).toBe("closed");
  });

  it("counts successes in half-open and reports 0 elsewhere", async () => {
    const { breaker } = setup({ successThreshold: 3 });
    breaker.halfOpen();
    await breaker.call(ok());
    expect(breaker.successCounter).toBe(1);
    await breaker.call(ok());
    expect(breaker.successCounter).toBe(2);
    await breaker.call(ok());
    expect(breaker.state).toBe("closed");
    expect(breaker.successCounter).toBe(0);
  });

  it("an open storage with no openedAt admits a trial at once", async () => {
    const breaker = new CircuitBreaker({ storage: new CircuitMemoryStorage("open") });
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfter).toBe(0);
    expect(await breaker.call(ok("x"))).toBe("x");
    expect(breaker.state).toBe("closed");
  });
});

describe("late results", () => {
  it("a closed-state call that finishes after the trip changes nothing", async () => {
    const { breaker, time } = setup({ failMax: 1 });
    let finish!: (v: string) => void;
    const late = breaker.call(() => new Promise<string>((resolve) => (finish = resolve)));
    await outcome(breaker.call(boom()));
    expect(breaker.state).toBe("open");
    time.now = 5_000;
    finish("mine");
    expect(await late).toBe("mine");
    expect(breaker.state).toBe("open");
    expect(breaker.openedAt).toBe(1_000);
    expect(breaker.failCounter).toBe(1);
  });

  it("a late failure neither extends the open window nor counts", async () => {
    const { breaker } = setup({ failMax: 1 });
    let fail!: (e: Error) => void;
    const late = breaker.call(() => new Promise((_r, reject) => (fail = reject)));
    await outcome(breaker.call(boom()));
    fail(new Error("late"));
    await expect(late).rejects.toThrow("late");
    expect(breaker.failCounter).toBe(1);
    expect(breaker.openedAt).toBe(1_000);
  });
});

describe("manual control", () => {
  it("open() on open restarts the timeout without a stateChange", () => {
    const { breaker, time, log } = setup();
    breaker.open();
    time.now = 3_000;
    breaker.open();
    expect(breaker.openedAt).toBe(3_000);
    expect(log).toEqual(["closed->open"]);
    breaker.close();
    breaker.close();
    expect(log).toEqual(["closed->open", "open->closed"]);
  });

  it("halfOpen() keeps the failure count; close() resets it", async () => {
    const { breaker } = setup({ failMax: 5 });
    await outcome(breaker.call(boom()));
    breaker.halfOpen();
    breaker.halfOpen();
    expect(breaker.state).toBe("half-open");
    expect(breaker.failCounter).toBe(1);
    expect(breaker.retryAt).toBeUndefined();
    expect(breaker.retryAfter).toBeUndefined();
    breaker.close();
    expect(breaker.failCounter).toBe(0);
  });
});

describe("exclusions and nested errors", () => {
  class HttpError extends Error {
    readonly status: number;
    constructor(status: number) {
      super(`HTTP ${String(status)}`);
      this.status = status;
    }
  }

  it("an excluded error counts as a success and reaches the caller", async () => {
    const { breaker, log } = setup({
      exclude: [TypeError, (e) => e instanceof HttpError && e.status < 500],
    });
    await outcome(breaker.call(boom()));
    await expect(breaker.call(() => Promise.reject(new HttpError(404)))).rejects.toThrow(
      "HTTP 404",
    );
    expect(breaker.failCounter).toBe(0);
    await expect(breaker.call(() => Promise.reject(new RangeError("r")))).rejects.toThrow("r");
    expect(breaker.failCounter).toBe(1);
    expect(log.at(-1)).toBe("failure");
    expect(breaker.isSystemError(new TypeError("t"))).toBe(false);
    expect(breaker.isSystemError("a string")).toBe(true);
  });

  it("an excluded error in half-open closes the breaker", async () => {
    const { breaker, log } = setup({ exclude: [TypeError] });
    breaker.halfOpen();
    log.length = 0;
    await outcome(breaker.call(() => Promise.reject(new TypeError("t"))));
    expect(log).toEqual(["beforeCall", "half-open->closed", "success"]);
  });

  /* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- non-Errors are thrown on purpose */
  it("a thrown non-Error is a failure unless a predicate excludes it", async () => {
    const { breaker } = setup();
    await expect(breaker.call(() => Promise.reject("plain"))).rejects.toBe("plain");
    expect(breaker.failCounter).toBe(1);
    breaker.addExcludedException((e) => e === "plain");
    await outcome(breaker.call(() => Promise.reject("plain")));
    expect(breaker.failCounter).toBe(0);
  });
  /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */

  it("a CircuitBreakerError raised by the same breaker is not counted", async () => {
    const { breaker } = setup({ failMax: 1 });
    const other = new CircuitBreaker();
    other.open();
    breaker.halfOpen();
    // Nested: the inner call is rejected by the same breaker (its only trial slot is taken).
    const nested = await outcome(breaker.call(() => breaker.call(ok())));
    expect(nested).toBeInstanceOf(CircuitBreakerError);
    expect(breaker.state).toBe("half-open");
    expect(breaker.failCounter).toBe(0);
    // Another breaker's rejection is an ordinary failure.
    await outcome(breaker.call(() => other.call(ok())));
    expect(breaker.state).toBe("open");
  });
});

describe("callSync", () => {
  it("returns, throws synchronously, and refuses thenables without counting", () => {
    const { breaker } = setup({ failMax: 2 });
    expect(breaker.callSync((x: number) => x * 2, 21)).toBe(42);
    expect(() =>
      breaker.callSync(() => {
        throw new Error("s");
      }),
    ).toThrow("s");
    expect(breaker.failCounter).toBe(1);
    const promise = Promise.resolve(1);
    expect(() => breaker.callSync(() => promise)).toThrow(/callSync got a thenable/);
    expect(breaker.failCounter).toBe(1);
    breaker.open();
    expect(() => breaker.callSync(() => 1)).toThrow(CircuitBreakerError);
  });

  it("a thenable in half-open frees the trial slot", () => {
    const { breaker } = setup();
    breaker.halfOpen();
    expect(() => breaker.callSync(() => Promise.resolve())).toThrow(TypeError);
    expect(breaker.callSync(() => "next trial")).toBe("next trial");
    expect(breaker.state).toBe("closed");
  });
});

describe("shared storage", () => {
  it("two breakers over one storage see each other's trips", async () => {
    const storage = new CircuitMemoryStorage();
    const changes: string[] = [];
    const a = new CircuitBreaker({ storage, failMax: 1 });
    const b = new CircuitBreaker({
      storage,
      listeners: [{ stateChange: (_x, from, to) => changes.push(`${from}->${to}`) }],
    });
    await b.call(ok());
    await outcome(a.call(boom()));
    expect(b.state).toBe("open");
    await expect(b.call(ok())).rejects.toBeInstanceOf(CircuitBreakerError);
    expect(changes).toEqual(["closed->open"]);
  });
});

describe("listener isolation", () => {
  it("a throwing failure listener does not prevent the trip", async () => {
    const error = new Error("listener");
    const onListenerError = vi.fn();
    const breaker = new CircuitBreaker({
      failMax: 1,
      onListenerError,
      listeners: [
        {
          failure: () => {
            throw error;
          },
        },
      ],
    });
    await expect(breaker.call(boom())).rejects.toBeInstanceOf(CircuitBreakerError);
    expect(breaker.state).toBe("open");
    expect(onListenerError).toHaveBeenCalledWith(error, "failure");
  });

  it("async rejections go to onListenerError unwrapped", async () => {
    const error = new Error("async");
    const onListenerError = vi.fn();
    const breaker = new CircuitBreaker({
      onListenerError,
      listeners: [{ success: () => Promise.reject(error) }],
    });
    await breaker.call(ok());
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(onListenerError).toHaveBeenCalledWith(error, "success");
  });

  it("base-class no-op hooks are skipped and overrides run", async () => {
    const seen: string[] = [];
    class Only extends CircuitBreakerListener {
      override stateChange(): void {
        seen.push("stateChange");
      }
    }
    const breaker = new CircuitBreaker({ listeners: [new Only()] });
    await breaker.call(ok());
    breaker.open();
    expect(seen).toEqual(["stateChange"]);
    expect(breaker.listeners).toHaveLength(1);
  });
});
