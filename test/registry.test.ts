import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerError, CircuitBreakerMonitor } from "../src/index.js";

describe("CircuitBreakerMonitor", () => {
  it("registers named breakers and reports them by state", () => {
    const monitor = new CircuitBreakerMonitor();
    const clock = { now: () => 100 };
    const db = new CircuitBreaker({ name: "db", monitor, clock, resetTimeout: 50 });
    const api = new CircuitBreaker({ name: "api", clock });
    monitor.register(api);
    monitor.register(api);
    expect(monitor.getCircuits()).toEqual([db, api]);
    expect(monitor.get("db")).toBe(db);
    expect(monitor.allClosed()).toBe(true);
    db.open();
    api.halfOpen();
    expect(monitor.getOpen()).toEqual([db]);
    expect(monitor.getHalfOpen()).toEqual([api]);
    expect(monitor.getClosed()).toEqual([]);
    expect(monitor.allClosed()).toBe(false);
    expect(JSON.parse(JSON.stringify(monitor.snapshot()))).toMatchObject([
      { name: "db", state: "open", failCounter: 0, successCounter: 0, openedAt: 100, retryAt: 150 },
      { name: "api", state: "half-open", failCounter: 0, successCounter: 0 },
    ]);
    expect(monitor.unregister(db)).toBe(true);
    expect(monitor.unregister(db)).toBe(false);
    expect(monitor.get("db")).toBeUndefined();
  });

  it("refuses duplicate and missing names", () => {
    const monitor = new CircuitBreakerMonitor();
    new CircuitBreaker({ name: "db", monitor });
    expect(() => new CircuitBreaker({ name: "db", monitor })).toThrow(
      /a breaker named "db" is already registered/,
    );
    expect(() => {
      monitor.register(new CircuitBreaker());
    }).toThrow(/only a named breaker/);
    expect(monitor.unregister(new CircuitBreaker())).toBe(false);
  });
});

describe("waitUntilRetry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves at retryAt and holds a timer only while waiting", async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ resetTimeout: 1_000, clock: { now: () => Date.now() } });
    await breaker.waitUntilRetry();
    breaker.open();
    expect(vi.getTimerCount()).toBe(0);
    let done = false;
    const waiting = breaker.waitUntilRetry().then(() => (done = true));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("follows a timeout restarted while waiting", async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ resetTimeout: 100, clock: { now: () => Date.now() } });
    breaker.open();
    let done = false;
    const waiting = breaker.waitUntilRetry().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(50);
    breaker.open();
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    await waiting;
    expect(done).toBe(true);
  });

  it("an aborted signal rejects with its reason and clears the timer", async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ clock: { now: () => Date.now() } });
    breaker.open();
    const reason = new Error("stop");
    await expect(breaker.waitUntilRetry(AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const waiting = breaker.waitUntilRetry(controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    await expect(breaker.waitUntilRetry("nope" as never)).rejects.toThrow(
      /signal must be an AbortSignal, got "nope"/,
    );
  });

  it("CircuitBreakerError.waitUntilRetry waits for the error's retryAt", async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ resetTimeout: 200, clock: { now: () => Date.now() } });
    breaker.open();
    const error = (await breaker.call(() => 1).catch((e: unknown) => e)) as CircuitBreakerError;
    let done = false;
    const waiting = error.waitUntilRetry().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(199);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });
});

describe("no timers", () => {
  it("10 000 idle, tripped and open breakers hold no timer", async () => {
    vi.useFakeTimers();
    try {
      const breakers = Array.from({ length: 10_000 }, () => new CircuitBreaker({ failMax: 1 }));
      await Promise.all(
        breakers.map((breaker, i) =>
          i % 2 === 0
            ? breaker.call(() => Promise.reject(new Error("x"))).catch(() => 0)
            : breaker.call(() => 1),
        ),
      );
      expect(breakers.filter((b) => b.state === "open")).toHaveLength(5_000);
      await breakers[0]!.call(() => 1).catch(() => 0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
