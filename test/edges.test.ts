import { describe, expect, it, vi } from "vitest";
import {
  CallTimeoutError,
  ConcurrencyLimitError,
  CircuitBreaker,
  CircuitBreakerError,
  CircuitBreakerGroup,
  CircuitBreakerListener,
  CircuitMemoryStorage,
} from "../src/index.js";
import { restoreWindow } from "../src/window-snapshot.js";

const clockAt = (time: { now: number }) => ({ now: () => time.now });

describe("edges of the call-control path", () => {
  it("a function that throws synchronously under a timeout fails at once, timer dropped", async () => {
    const breaker = new CircuitBreaker({
      callTimeout: 1_000,
      failMax: 1,
      throwNewErrorOnTrip: false,
    });
    const error = await breaker
      .call(() => {
        throw new Error("sync");
      })
      .catch((e: unknown) => e);
    expect(error).toEqual(new Error("sync"));
    expect(error).not.toBeInstanceOf(CallTimeoutError);
    expect(breaker.state).toBe("open");
  });

  it("a trial that succeeds below successThreshold hands its slot to the next waiter", async () => {
    const time = { now: 0 };
    const breaker = new CircuitBreaker({
      clock: clockAt(time),
      resetTimeout: 10,
      successThreshold: 2,
      halfOpenQueueSize: 1,
    });
    breaker.open();
    time.now = 10;
    let finish: (value: string) => void = () => undefined;
    const first = breaker.call(() => new Promise<string>((resolve) => (finish = resolve)));
    const second = breaker.call(() => "second");
    finish("first");
    expect(await Promise.all([first, second])).toEqual(["first", "second"]);
    expect(breaker.state).toBe("closed");
  });

  it("a queue that is full refuses the next caller with CircuitBreakerError", async () => {
    const time = { now: 0 };
    const breaker = new CircuitBreaker({
      clock: clockAt(time),
      resetTimeout: 0,
      halfOpenQueueSize: 1,
    });
    breaker.open();
    const hang = breaker.call(() => new Promise(() => undefined));
    const queued = breaker.call(() => "queued");
    const refused = await breaker.call(() => "x").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitBreakerError);
    breaker.close();
    expect(await queued).toBe("queued");
    void hang;
  });
});

describe("edges of groups", () => {
  it("checks options, exposes its name, rejects a bad key in call, builds storages per key", async () => {
    expect(() => new CircuitBreakerGroup(null as never)).toThrow(
      "group options must be an object, got null",
    );
    expect(() => new CircuitBreakerGroup({ name: "g", idleTimeout: -1 })).toThrow(
      "idleTimeout must be a finite number of milliseconds >= 0, got -1",
    );
    expect(() => new CircuitBreakerGroup({ name: "g", storage: 5 as never })).toThrow(
      "group storage must be a function (key) => storage, got 5",
    );
    const made: string[] = [];
    const group = new CircuitBreakerGroup({
      name: "g",
      storage: (key) => {
        made.push(key);
        return new CircuitMemoryStorage("open");
      },
    });
    expect(group.name).toBe("g");
    expect(await group.call(7 as never, () => 1).catch((e: unknown) => (e as Error).message)).toBe(
      "a group key must be a string, got 7",
    );
    expect(group.get("k").state).toBe("open");
    expect(made).toEqual(["k"]);
  });
});

describe("edges of snapshots", () => {
  it("names a non-object initialState, a bad mode and a bad time", () => {
    expect(() => new CircuitBreaker({ initialState: 3 as never })).toThrow(
      "initialState must be an object from toJSON(), got 3",
    );
    expect(
      () => new CircuitBreaker({ initialState: { state: "open", mode: "off" as never } }),
    ).toThrow('initialState.mode must be "enabled", "disabled" or "forced-open", got "off"');
    expect(
      () => new CircuitBreaker({ initialState: { state: "open", openedAt: Number.NaN } }),
    ).toThrow("initialState.openedAt must be epoch ms, got NaN");
    expect(() => restoreWindow({ kind: "time", duration: 100, buckets: 1, data: 5 }, 0)).toThrow(
      "a time window snapshot needs data: an array, got 5",
    );
  });
});

describe("the listener base class", () => {
  it("has a no-op for every hook, which the breaker skips", () => {
    const base = new CircuitBreakerListener();
    const breaker = new CircuitBreaker({ listeners: [base] });
    const hooks = [
      base.beforeCall(breaker, () => undefined, []),
      base.success(breaker, { duration: 1, outcome: "success" }),
      base.failure(breaker, new Error("x"), { duration: 1, outcome: "failure" }),
      base.stateChange(breaker, "closed", "open"),
      base.rejected(breaker, new Error("x")),
      base.timeout(breaker, new Error("x"), { duration: 1, outcome: "timeout" }),
      base.neutral(breaker, "aborted"),
      base.slow(breaker, 5),
      base.modeChange(breaker, "enabled", "disabled"),
    ];
    expect(hooks).toEqual(new Array(9).fill(undefined));
  });
});

describe("changes on a live breaker reach the very next call", () => {
  it("a beforeCall listener added or removed after calls have run", async () => {
    const breaker = new CircuitBreaker();
    await breaker.call(async () => 1);
    const seen: unknown[][] = [];
    const listener = {
      beforeCall: (_b: unknown, _fn: unknown, args: unknown) => seen.push(args as unknown[]),
    };
    breaker.addListener(listener);
    await breaker.call(async (x: number) => x, 7);
    breaker.removeListener(listener);
    await breaker.call(async (x: number) => x, 8);
    breaker.addListeners(listener);
    await breaker.call(async (x: number) => x, 9);
    expect(seen).toEqual([[7], [9]]);
  });

  it("a fallback and a slow-call duration set by reconfigure after calls have run", async () => {
    const time = { now: 0 };
    const breaker = new CircuitBreaker({ clock: clockAt(time) });
    await breaker.call(async () => 1);
    breaker.reconfigure({ fallback: (error: unknown) => `fell back: ${String(error)}` });
    await expect(breaker.call(() => Promise.reject(new Error("down")))).resolves.toBe(
      "fell back: Error: down",
    );
    breaker.reconfigure({ fallback: undefined, slowCallDuration: 10 });
    const slow: number[] = [];
    breaker.addListener({ slow: (_b, duration) => slow.push(duration) });
    await breaker.call(async () => {
      time.now += 25;
    });
    expect(slow).toEqual([25]);
  });
});

describe("reconfiguring the controlled path", () => {
  it("a new callTimeout applies to the next call after timed calls have run", async () => {
    vi.useFakeTimers();
    try {
      const breaker = new CircuitBreaker({ callTimeout: 1_000 });
      await breaker.call(async () => 1);
      breaker.reconfigure({ callTimeout: 10 });
      const pending = breaker.call(() => new Promise(() => undefined)).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10);
      const error = await pending;
      expect(error).toBeInstanceOf(CallTimeoutError);
      expect((error as CallTimeoutError).timeout).toBe(10);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the lean timed path gives way when more is configured", () => {
  it("a beforeCall listener and a concurrency limit added after timed calls apply", async () => {
    const breaker = new CircuitBreaker({ callTimeout: 1_000 });
    await breaker.call(async () => 1);
    const seen: unknown[] = [];
    breaker.addListener({ beforeCall: (_b, _fn, args) => seen.push(...args) });
    await breaker.call(async (x: number) => x, 5);
    expect(seen).toEqual([5]);
    breaker.reconfigure({ maxConcurrentCalls: 1 });
    let release = (): void => undefined;
    const first = breaker.call(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await expect(breaker.call(async () => 2)).rejects.toThrow(ConcurrencyLimitError);
    release();
    await first;
    expect(await breaker.call(async () => 3)).toBe(3);
  });
});

describe("listener hooks are read when the listener is added", () => {
  it("a hook added, replaced or deleted later changes nothing until the listener is added again", async () => {
    const heard: string[] = [];
    const listener: {
      success?: () => void;
      failure?: () => void;
    } = { success: () => heard.push("first success") };
    const breaker = new CircuitBreaker({ listeners: [listener] });
    listener.success = () => heard.push("replaced success");
    listener.failure = () => heard.push("late failure");
    // Another listener joining must not make the first one's changes count.
    breaker.addListener({ stateChange: () => undefined });
    await breaker.call(() => 1);
    await breaker.call(() => Promise.reject(new Error("x"))).catch(() => undefined);
    expect(heard).toEqual(["first success"]);
    breaker.removeListener(listener);
    breaker.addListener(listener);
    await breaker.call(() => 1);
    expect(heard).toEqual(["first success", "replaced success"]);
  });
});
