import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor, type CallInfo } from "../src/index.js";
import { deferred, manualClock } from "./support.js";

afterEach(() => {
  vi.useRealTimers();
});

const swallow = (promise: Promise<unknown>) => promise.catch(() => undefined);

describe("stats", () => {
  it("counts every call in exactly one outcome, and calls is their sum", async () => {
    vi.useFakeTimers();
    const { time, clock } = manualClock(5_000);
    class Excluded extends Error {}
    const breaker = new CircuitBreaker({
      failMax: 3,
      resetTimeout: 100,
      callTimeout: 50,
      maxConcurrentCalls: 1,
      exclude: [Excluded],
      fallback: (error) => {
        if ((error as Error).name === "ConcurrencyLimitError") return "limited";
        throw error;
      },
      clock,
    });
    expect(breaker.stats).toEqual({
      calls: 0,
      successes: 0,
      failures: 0,
      timeouts: 0,
      rejections: 0,
      neutral: 0,
      excluded: 0,
      fallbacks: 0,
      concurrencyLimited: 0,
      stateChanges: 0,
      since: 5_000,
    });
    await breaker.call(() => "ok");
    await swallow(breaker.call(() => Promise.reject(new Error("down"))));
    await swallow(breaker.call(() => Promise.reject(new Excluded("not ours"))));
    const slow = deferred();
    const timedOut = swallow(breaker.call(() => slow.promise));
    expect(await breaker.call(() => "second")).toBe("limited");
    await vi.advanceTimersByTimeAsync(50);
    await timedOut;
    // Its work ends later: it frees its concurrency slot, and is not counted twice.
    slow.resolve("late");
    await vi.advanceTimersByTimeAsync(0);
    const caller = new AbortController();
    const abortedWork = deferred();
    const aborted = swallow(breaker.execute(() => abortedWork.promise, { signal: caller.signal }));
    caller.abort();
    await aborted;
    abortedWork.resolve(undefined);
    await vi.advanceTimersByTimeAsync(0);
    await swallow(breaker.call(() => Promise.reject(new Error("down"))));
    await swallow(breaker.call(() => Promise.reject(new Error("down"))));
    expect(breaker.state).toBe("open");
    await swallow(breaker.call(() => "refused"));
    time.now += 100;
    await breaker.call(() => "trial");
    expect(breaker.stats).toEqual({
      calls: 10,
      successes: 2,
      failures: 3,
      timeouts: 1,
      rejections: 1,
      neutral: 1,
      excluded: 1,
      fallbacks: 6,
      concurrencyLimited: 1,
      stateChanges: 3,
      since: 5_000,
    });
  });

  it("counts late results in their outcome, and callSync and generators alike", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    const late = deferred();
    const pending = breaker.call(() => late.promise);
    breaker.open();
    late.resolve("late");
    expect(await pending).toBe("late");
    breaker.close();
    expect(breaker.callSync(() => 1)).toBe(1);
    expect(() => breaker.callSync(() => Promise.resolve(1))).toThrow(TypeError);
    const gen = await breaker.protect(function* () {
      yield 1;
    })();
    expect([...gen]).toEqual([1]);
    expect(breaker.stats).toMatchObject({ calls: 4, successes: 3, neutral: 1 });
  });

  it("is a fresh plain object each time, part of toJSON and of the monitor's snapshot", () => {
    const monitor = new CircuitBreakerMonitor();
    const breaker = new CircuitBreaker({ name: "s", monitor });
    const first = breaker.stats;
    breaker.callSync(() => 1);
    expect(first.calls).toBe(0);
    expect(breaker.toJSON().stats).toEqual(breaker.stats);
    expect(monitor.snapshot()[0]?.stats?.calls).toBe(1);
  });
});

describe("durations", () => {
  it("reach success, failure and timeout hooks for calls that started after the hook", async () => {
    vi.useFakeTimers();
    const infos: [string, CallInfo][] = [];
    const breaker = new CircuitBreaker({ failMax: 10 });
    const fast = deferred();
    // Started on the shortest path, before any hook: its duration was never measured.
    const before = breaker.call(() => fast.promise);
    breaker.addListener({
      success: (_b, info) => infos.push(["success", info]),
      failure: (_b, _e, info) => infos.push(["failure", info]),
      timeout: (_b, _e, info) => infos.push(["timeout", info]),
    });
    breaker.reconfigure({ callTimeout: 20 });
    fast.resolve(1);
    await before;
    const work = deferred();
    const measured = breaker.call(() => work.promise);
    await vi.advanceTimersByTimeAsync(5);
    work.resolve(2);
    await measured;
    const timedOut = swallow(breaker.call(() => new Promise(() => undefined)));
    await vi.advanceTimersByTimeAsync(20);
    await timedOut;
    expect(infos.map(([hook, info]) => [hook, info.outcome])).toEqual([
      ["success", "success"],
      ["success", "success"],
      ["timeout", "timeout"],
      ["failure", "timeout"],
    ]);
    expect(infos[0]?.[1].duration).toBeNaN();
    expect(infos[1]?.[1].duration).toBeGreaterThanOrEqual(5);
    expect(infos[2]?.[1].duration).toBeGreaterThanOrEqual(20);
  });

  it("tell an excluded error from a success, and time callSync and generators", async () => {
    const infos: CallInfo[] = [];
    const breaker = new CircuitBreaker({
      exclude: [(error) => (error as Error).message === "fine"],
      listeners: [
        {
          success: (_b, info) => infos.push(info),
          failure: (_b, _e, info) => infos.push(info),
        },
      ],
    });
    await swallow(breaker.call(() => Promise.reject(new Error("fine"))));
    breaker.callSync(() => 1);
    expect([
      ...(await breaker.protect(function* () {
        yield 1;
      })()),
    ]).toEqual([1]);
    expect(infos.map((info) => info.outcome)).toEqual(["excluded", "success", "success"]);
    expect(infos.every((info) => Number.isFinite(info.duration) && info.duration >= 0)).toBe(true);
  });

  it("leave the shortest path to aiobreaker-style hooks, which take no duration", async () => {
    const heard: unknown[][] = [];
    class Legacy {
      success(...args: unknown[]) {
        heard.push(args);
      }
    }
    const breaker = new CircuitBreaker({ listeners: [new Legacy()] });
    await breaker.call(() => 1);
    expect(heard[0]?.[0]).toBe(breaker);
  });
});

describe("monitor.watch", () => {
  it("tells of the breakers there now and of each one added or removed later, until stopped", () => {
    const monitor = new CircuitBreakerMonitor();
    const a = new CircuitBreaker({ name: "a", monitor });
    const events: string[] = [];
    const stop = monitor.watch({
      added: (breaker) => events.push(`+${breaker.name ?? ""}`),
      removed: (breaker) => events.push(`-${breaker.name ?? ""}`),
    });
    const b = new CircuitBreaker({ name: "b", monitor });
    monitor.unregister(a);
    monitor.unregister(a);
    stop();
    monitor.unregister(b);
    expect(events).toEqual(["+a", "+b", "-a"]);
  });

  it("refuses a bad watcher, and isolates one that throws later", () => {
    const monitor = new CircuitBreakerMonitor();
    expect(() => monitor.watch({ added: 1 } as never)).toThrow(
      "monitor.watch expects { added?(breaker), removed?(breaker) }, got an object",
    );
    expect(() => monitor.watch(null as never)).toThrow("got null");
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      monitor.watch({
        added: () => {
          throw new Error("watcher bug");
        },
      });
      expect(() => new CircuitBreaker({ name: "c", monitor })).not.toThrow();
      expect(consoleError).toHaveBeenCalledWith(
        "aiobreaker: a monitor watcher's added failed",
        new Error("watcher bug"),
      );
    } finally {
      consoleError.mockRestore();
    }
  });
});

describe("nextCallIsTrial", () => {
  it("says of an open breaker whose retryAt has passed that its next call is a trial; the state stays open", () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ resetTimeout: 100, clock });
    expect(breaker.toJSON().nextCallIsTrial).toBe(false);
    breaker.open();
    expect(breaker.toJSON().nextCallIsTrial).toBe(false);
    time.now += 100;
    expect(breaker.toJSON()).toMatchObject({ state: "open", nextCallIsTrial: true });
  });
});
