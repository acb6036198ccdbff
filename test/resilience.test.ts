import { describe, expect, it, vi } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitBreakerGroup,
  CircuitBreakerMonitor,
  exponentialBackoff,
  retryAfterFromError,
  type CircuitBreakerOptions,
} from "../src/index.js";

function setup(options: CircuitBreakerOptions = {}) {
  const time = { now: 1_000 };
  const onListenerError = vi.fn();
  const breaker = new CircuitBreaker({
    clock: { now: () => time.now },
    onListenerError,
    ...options,
  });
  return { breaker, time, onListenerError };
}

const fail = (breaker: CircuitBreaker, error: unknown = new Error("down")) =>
  breaker
    .call(() => {
      throw error;
    })
    .catch((e: unknown) => e);
const succeed = (breaker: CircuitBreaker) => breaker.call(() => "ok");

describe("failure-rate windows", () => {
  it("a count window trips on the rate once minimumCalls are in, not on consecutive failures", async () => {
    const { breaker } = setup({ window: { calls: 10 }, failureRateThreshold: 50, minimumCalls: 4 });
    expect(breaker.failMax).toBeUndefined();
    for (let i = 0; i < 3; i++) await fail(breaker); // 3 of 3: below minimumCalls
    expect(breaker.state).toBe("closed");
    await succeed(breaker);
    await succeed(breaker); // 3 of 5 failed
    expect(breaker.state).toBe("closed");
    expect(breaker.metrics).toEqual({
      calls: 5,
      failures: 3,
      slowCalls: 0,
      failureRate: 60,
      slowCallRate: 0,
    });
    const trip = await fail(breaker); // 4 of 6 >= 50%
    expect(trip).toBeInstanceOf(CircuitBreakerError);
    expect((trip as Error).message).toBe(
      "Circuit breaker opened: 4 of the last 6 calls failed (failureRateThreshold 50%)",
    );
  });

  it("with a window, failMax applies when given explicitly, and either condition trips", async () => {
    const { breaker } = setup({ window: { calls: 100 }, failMax: 2, minimumCalls: 50 });
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state).toBe("open");
  });

  it("a time window forgets failures older than its duration", async () => {
    const { breaker, time } = setup({
      window: { duration: 10_000, buckets: 10 },
      failureRateThreshold: 50,
      minimumCalls: 2,
    });
    await fail(breaker);
    time.now += 10_000;
    await succeed(breaker);
    await fail(breaker); // the first failure has left: 1 of 2 = 50% trips
    expect(breaker.state).toBe("open");
    breaker.close();
    expect(breaker.metrics.calls).toBe(0); // closing empties the window
  });

  it("closing from half-open starts with an empty window", async () => {
    const { breaker, time } = setup({ window: { calls: 4 }, minimumCalls: 2, resetTimeout: 5 });
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state).toBe("open");
    time.now += 5;
    await succeed(breaker);
    expect([breaker.state, breaker.metrics.calls]).toEqual(["closed", 0]);
    await fail(breaker); // one failure alone is below minimumCalls
    expect(breaker.state).toBe("closed");
  });
});

describe("open duration", () => {
  it("resetTimeout as a backoff function gets the attempt, which resets on close", async () => {
    const seen: [number, unknown][] = [];
    const { breaker, time } = setup({
      failMax: 1,
      resetTimeout: (attempt, error) => {
        seen.push([attempt, (error as Error | undefined)?.message]);
        return attempt * 100;
      },
    });
    await fail(breaker, new Error("a"));
    expect(breaker.retryAt).toBe(1_100);
    time.now = 1_100;
    await fail(breaker, new Error("b")); // trial fails: attempt 2
    expect(breaker.retryAt).toBe(1_300);
    time.now = 1_300;
    await succeed(breaker);
    await fail(breaker, new Error("c"));
    expect(seen).toEqual([
      [1, "a"],
      [2, "b"],
      [1, "c"],
    ]);
  });

  it("works with exponentialBackoff", async () => {
    const { breaker, time } = setup({
      failMax: 1,
      resetTimeout: exponentialBackoff({ initial: 1_000, max: 4_000, jitter: "none" }),
    });
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      await fail(breaker);
      waits.push(breaker.retryAfter);
      time.now = breaker.retryAt ?? time.now;
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  it("a failure's Retry-After sets the open time, clamped to maxRetryAfter", async () => {
    const { breaker } = setup({
      failMax: 1,
      retryAfterFrom: retryAfterFromError,
      maxRetryAfter: 30_000,
    });
    const trip = await fail(breaker, Object.assign(new Error("429"), { retryAfter: 5_000 }));
    expect((trip as CircuitBreakerError).retryAfter).toBe(5_000);
    const rejected = await succeed(breaker).catch((e: unknown) => e);
    expect((rejected as CircuitBreakerError).retryAfter).toBe(5_000);
    breaker.close();
    await fail(breaker, { headers: { "retry-after": "3600" } });
    expect(breaker.retryAfter).toBe(30_000);
    breaker.close();
    await fail(breaker, new Error("no header"));
    expect(breaker.retryAfter).toBe(60_000);
  });

  it("a backoff function that throws or returns junk is reported and the breaker still opens", async () => {
    const { breaker, onListenerError } = setup({
      failMax: 1,
      resetTimeout: () => Number.NaN,
    });
    await fail(breaker);
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfter).toBe(60_000);
    expect(onListenerError).toHaveBeenCalledWith(
      new TypeError("resetTimeout must return a finite number of ms >= 0, got NaN"),
      "resetTimeout",
    );
  });
});

describe("toJSON and initialState", () => {
  it("an open breaker restored later half-opens at its true retryAt", async () => {
    const first = setup({
      name: "db",
      failMax: 2,
      resetTimeout: 10_000,
      window: { calls: 5 },
      minimumCalls: 5,
    });
    await fail(first.breaker);
    await succeed(first.breaker);
    await fail(first.breaker);
    first.breaker.open();
    const saved = JSON.parse(JSON.stringify(first.breaker)) as unknown;
    expect(saved).toMatchObject({
      name: "db",
      state: "open",
      openedAt: 1_000,
      retryAt: 11_000,
      openAttempts: 1,
    });
    // Restored 6 s later in a process whose resetTimeout differs: retryAt is still 11 000.
    const second = setup({
      name: "db",
      resetTimeout: 60_000,
      window: { calls: 5 },
      initialState: saved as never,
    });
    second.time.now = 7_000;
    expect([second.breaker.state, second.breaker.retryAt, second.breaker.retryAfter]).toEqual([
      "open",
      11_000,
      4_000,
    ]);
    expect(second.breaker.metrics).toMatchObject({ calls: 3, failures: 2 });
    expect(await succeed(second.breaker).catch((e: unknown) => e)).toBeInstanceOf(
      CircuitBreakerError,
    );
    second.time.now = 11_000;
    expect(await succeed(second.breaker)).toBe("ok");
    expect(second.breaker.state).toBe("closed");
  });

  it("restores the mode and counters, and names what is wrong in a bad snapshot", () => {
    const { breaker } = setup({
      initialState: { state: "closed", mode: "disabled", failCounter: 3 },
    });
    expect([breaker.mode, breaker.failCounter]).toEqual(["disabled", 3]);
    expect(() => setup({ initialState: { state: "ajar" } as never })).toThrow(
      'initialState.state must be "closed", "open" or "half-open", got "ajar"',
    );
    expect(() => setup({ initialState: { state: "open", openedAt: 10, retryAt: 5 } })).toThrow(
      "initialState.retryAt (5) is before initialState.openedAt (10)",
    );
    expect(() => setup({ initialState: { state: "open", failCounter: -1 } })).toThrow(
      "initialState.failCounter must be an integer >= 0, got -1",
    );
  });
});

describe("reconfigure", () => {
  it("keeps state, counters, window contents (reshaped) and the backoff attempt", async () => {
    const attempts: number[] = [];
    const { breaker, time } = setup({
      failMax: 10,
      window: { calls: 6 },
      minimumCalls: 6,
      resetTimeout: (attempt) => {
        attempts.push(attempt);
        return 100;
      },
    });
    await fail(breaker);
    await succeed(breaker);
    await fail(breaker);
    breaker.reconfigure({ window: { calls: 2 }, minimumCalls: 2, failureRateThreshold: 100 });
    expect(breaker.metrics).toMatchObject({ calls: 2, failures: 1 });
    breaker.open();
    time.now += 100;
    breaker.reconfigure({ failMax: 3 });
    expect([breaker.state, breaker.failMax]).toEqual(["open", 3]);
    await fail(breaker); // trial fails: attempt 2 survives the reconfigure
    expect(attempts).toEqual([1, 2]);
  });

  it("is all or nothing, and undefined returns an option to its default", () => {
    const { breaker } = setup({ failMax: 3, callTimeout: 50 });
    expect(() => {
      breaker.reconfigure({ failMax: 4, successThreshold: 0 });
    }).toThrow("successThreshold must be an integer >= 1, got 0");
    expect(breaker.failMax).toBe(3);
    expect(() => {
      breaker.reconfigure({ name: "x" } as never);
    }).toThrow('unknown option "name"');
    breaker.reconfigure({ failMax: undefined });
    expect(breaker.failMax).toBe(5);
  });
});

describe("CircuitBreakerGroup", () => {
  function group(extra: Partial<ConstructorParameters<typeof CircuitBreakerGroup>[0]> = {}) {
    const time = { now: 0 };
    const monitor = new CircuitBreakerMonitor();
    const g = new CircuitBreakerGroup({
      name: "hosts",
      failMax: 2,
      maxKeys: 3,
      idleTimeout: 1_000,
      clock: { now: () => time.now },
      monitor,
      ...extra,
    });
    return { g, time, monitor };
  }

  it("hands out one named breaker per key and registers it", async () => {
    const { g, monitor } = group();
    const a = g.get("a");
    expect(g.get("a")).toBe(a);
    expect(a.name).toBe("hosts:a");
    expect(monitor.get("hosts:a")).toBe(a);
    expect(await g.call("b", (x: number) => x + 1, 1)).toBe(2);
    expect(g.keys()).toEqual(["a", "b"]);
  });

  it("never evicts a breaker holding failures, however many keys arrive", async () => {
    const { g, monitor } = group();
    await fail(g.get("victim"));
    expect(g.get("victim").failCounter).toBe(1);
    for (let i = 0; i < 100; i++) g.get(`flood-${String(i)}`);
    expect(g.has("victim")).toBe(true);
    expect(g.get("victim").failCounter).toBe(1);
    expect(g.size).toBe(3);
    expect(monitor.getCircuits().length).toBe(3);
  });

  it("sends new keys to one overflow breaker when every held breaker holds failures", async () => {
    const { g } = group();
    for (const key of ["a", "b", "c"]) await fail(g.get(key));
    const overflow = g.get("d");
    expect(overflow.name).toBe("hosts:overflow");
    expect(g.get("e")).toBe(overflow);
    expect(g.has("d")).toBe(false);
  });

  it("evicts idle clean breakers, keeps idle ones with failures, and unregisters", async () => {
    const { g, time, monitor } = group();
    g.get("clean");
    await fail(g.get("dirty"));
    time.now = 1_000;
    expect(g.evictIdle()).toBe(1);
    expect(g.keys()).toEqual(["dirty"]);
    expect(monitor.get("hosts:clean")).toBeUndefined();
  });

  it("checks its options and keys", () => {
    expect(() => group({ maxKeys: 0 })).toThrow("maxKeys must be an integer >= 1, got 0");
    expect(() => group({ failMax: -1 })).toThrow("failMax must be an integer >= 1, got -1");
    expect(() => group({ name: "" })).toThrow('group name must be a non-empty string, got ""');
    const { g } = group();
    expect(() => g.get(5 as never)).toThrow("a group key must be a string, got 5");
  });
});

describe("bad options of the failure-detection and call-control settings", () => {
  it.each([
    [
      { failureRateThreshold: 50 },
      "failureRateThreshold needs a window (e.g. window: { calls: 100 }), and none is set",
    ],
    [
      { window: { calls: 5 }, failureRateThreshold: 0 },
      "failureRateThreshold must be a percentage in (0, 100], got 0",
    ],
    [
      { window: { calls: 5 }, failureRateThreshold: 101 },
      "failureRateThreshold must be a percentage in (0, 100], got 101",
    ],
    [{ window: { calls: 5 }, minimumCalls: 0 }, "minimumCalls must be an integer >= 1, got 0"],
    [
      { slowCallDuration: 0 },
      "slowCallDuration must be a finite number of milliseconds > 0, got 0",
    ],
    [
      { window: { calls: 5 }, slowCallRateThreshold: 50 },
      "slowCallRateThreshold needs slowCallDuration, and none is set",
    ],
    [{ callTimeout: -1 }, "callTimeout must be a finite number of milliseconds >= 0, got -1"],
    [
      { callTimeout: "5" },
      'callTimeout must be a finite number of milliseconds >= 0, got "5" (string)',
    ],
    [
      { halfOpenTimeout: Number.NaN },
      "halfOpenTimeout must be a finite number of milliseconds >= 0, got NaN",
    ],
    [{ halfOpenQueueSize: -1 }, "halfOpenQueueSize must be an integer >= 0, got -1"],
    [{ maxConcurrentCalls: 0 }, "maxConcurrentCalls must be an integer >= 1, got 0"],
    [{ fallback: "x" }, 'fallback must be a function, got "x"'],
    [{ retryAfterFrom: 5 }, "retryAfterFrom must be a function, got 5"],
    [{ maxRetryAfter: -5 }, "maxRetryAfter must be a finite number of milliseconds >= 0, got -5"],
    [{ window: { calls: 0 } }, "window.calls must be an integer from 1 to 1000000, got 0"],
    [{ window: "big" }, 'window must be { calls } or { duration, buckets }, got "big"'],
  ])("%o", (options, message) => {
    expect(() => new CircuitBreaker(options as never)).toThrow(message);
  });
});
