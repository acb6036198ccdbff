import { describe, expect, it, vi } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerMonitor,
  CircuitMemoryStorage,
  exponentialBackoff,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
} from "../src/index.js";

const make = (options: unknown) => () => new CircuitBreaker(options as CircuitBreakerOptions);
const restore = (snapshot: unknown, options: CircuitBreakerOptions = {}) =>
  make({ clock: { now: () => 1_000 }, ...options, initialState: snapshot });

describe("null", () => {
  it.each([
    "storage",
    "monitor",
    "name",
    "clock",
    "exclude",
    "listeners",
    "onListenerError",
    "initialState",
    "failMax",
    "resetTimeout",
    "window",
    "callTimeout",
    "fallback",
    "isFailureResult",
  ])("is refused for %s, at construction and by reconfigure, naming it", (option) => {
    expect(make({ [option]: null })).toThrow(
      new TypeError(
        `options: ${option} must not be null; leave it out or pass undefined for the default`,
      ),
    );
    if (option === "failMax" || option === "fallback" || option === "isFailureResult") {
      expect(() => {
        new CircuitBreaker().reconfigure({ [option]: null });
      }).toThrow(
        new TypeError(
          `reconfigure: ${option} must not be null; leave it out or pass undefined for the default`,
        ),
      );
    }
  });
});

describe("storage", () => {
  it.each([
    [5, "5"],
    ["memory", '"memory"'],
  ])("refuses %s, naming it", (storage, shown) => {
    expect(make({ storage })).toThrow(
      new TypeError(`storage must implement CircuitBreakerStorage, got ${shown}`),
    );
  });

  it("names the first missing method", () => {
    const real = new CircuitMemoryStorage();
    const partial = {
      state: "closed",
      mode: "enabled",
      setState: () => true,
      setMode: () => undefined,
      recordFailure: () => ({ failCounter: 1, tripped: false }),
      resetFailCounter: () => undefined,
      recordTrialSuccess: () => ({ successCounter: 1, closed: false }),
      acquireTrial: () => true,
      releaseTrial: () => undefined,
    };
    expect(make({ storage: partial })).toThrow(
      "storage must implement CircuitBreakerStorage, got an object without a restore() method",
    );
    expect(make({ storage: { ...partial, restore: () => undefined, state: "CLOSED" } })).toThrow(
      'storage.state must be "closed", "open" or "half-open", got "CLOSED"',
    );
    expect(make({ storage: real })).not.toThrow();
  });
});

describe("monitor option", () => {
  it.each([
    [42, "42"],
    [{}, "an object"],
    [{ register: () => undefined }, "an object"],
  ])("refuses %o at construction, naming it", (monitor, shown) => {
    expect(make({ name: "a", monitor })).toThrow(
      new TypeError(
        "monitor must be a CircuitBreakerMonitor (an object with register and unregister " +
          `methods), got ${shown}`,
      ),
    );
  });

  it("takes any object with both methods", () => {
    const registered: unknown[] = [];
    const duck = { register: (b: unknown) => registered.push(b), unregister: () => true };
    const breaker = new CircuitBreaker({ name: "a", monitor: duck as never });
    expect(registered).toEqual([breaker]);
  });
});

describe("clock", () => {
  it.each([
    [() => new Date(), "an instance of Date"],
    [() => Number.NaN, "NaN"],
    [() => Infinity, "Infinity"],
    [() => "1000", '"1000"'],
    [() => undefined, "undefined"],
  ])("refuses a now() answering %s, asking it once at construction", (now, shown) => {
    const spy = vi.fn(now);
    expect(make({ clock: { now: spy } })).toThrow(
      new TypeError(`clock.now() must return epoch ms as a finite number, got ${shown}`),
    );
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a Date clock no longer yields an open breaker that runs every call", () => {
    // The audit's case: retryAt became a string and every comparison with it was false.
    expect(make({ failMax: 1, clock: { now: () => new Date() } })).toThrow(/clock\.now\(\)/);
  });
});

describe("iterable options", () => {
  it.each(["exclude", "listeners"])("%s with a Symbol.iterator that is not a method", (key) => {
    expect(make({ [key]: { [Symbol.iterator]: 1 } })).toThrow(
      new TypeError(`${key} must be an array, got an object`),
    );
    expect(make({ [key]: new Set() })).not.toThrow();
  });
});

describe("monitor.register and unregister", () => {
  it.each([
    [{ name: "x" }, "an object"],
    [42, "42"],
    [null, "null"],
    [undefined, "undefined"],
    [new CircuitMemoryStorage(), "an instance of CircuitMemoryStorage"],
  ])("take only a CircuitBreaker, not %o", (value, shown) => {
    const monitor = new CircuitBreakerMonitor();
    expect(() => {
      monitor.register(value as never);
    }).toThrow(new TypeError(`monitor.register expects a CircuitBreaker, got ${shown}`));
    expect(() => monitor.unregister(value as never)).toThrow(
      new TypeError(`monitor.unregister expects a CircuitBreaker, got ${shown}`),
    );
    // Nothing was let in, so the monitor still answers.
    expect([monitor.getCircuits(), monitor.snapshot(), monitor.allClosed()]).toEqual([
      [],
      [],
      true,
    ]);
  });

  it("an unnamed breaker is named as such; a named one joins and leaves", () => {
    const monitor = new CircuitBreakerMonitor();
    expect(() => {
      monitor.register(new CircuitBreaker());
    }).toThrow(/only a named breaker can join a monitor; got a CircuitBreaker with no name/);
    const db = new CircuitBreaker({ name: "db" });
    monitor.register(db);
    expect(monitor.snapshot()).toMatchObject([{ name: "db", state: "closed" }]);
    expect(monitor.unregister(db)).toBe(true);
  });
});

describe("initialState must be a state a breaker can be in", () => {
  it.each(["closed", "half-open"])("refuses mode forced-open with state %s", (state) => {
    expect(restore({ state, mode: "forced-open" })).toThrow(
      new TypeError(
        `initialState.mode "forced-open" needs initialState.state "open" (forceOpen() opens the breaker), got "${state}"`,
      ),
    );
  });

  it("takes what forceOpen() leaves, and restores it forced open", () => {
    let now = 1_000;
    const clock = { now: () => now };
    const first = new CircuitBreaker({ clock, resetTimeout: 5_000 });
    first.forceOpen();
    const saved = JSON.parse(JSON.stringify(first)) as CircuitBreakerSnapshot;
    expect(saved).toMatchObject({ state: "open", mode: "forced-open", openedAt: 1_000 });
    now = 2_000;
    const second = new CircuitBreaker({ clock, resetTimeout: 5_000, initialState: saved });
    expect([second.state, second.mode]).toEqual(["open", "forced-open"]);
    second.enable();
    expect(second.retryAt).toBe(6_000);
  });

  it("refuses a retryAt without openedAt, naming both", () => {
    expect(restore({ state: "open", retryAt: 1_000_000 })).toThrow(
      new TypeError(
        "initialState.openedAt is required with initialState.retryAt 1000000 (epoch ms of the opening, as toJSON() records it), got undefined",
      ),
    );
  });

  it("an open snapshot with no time at all is a storage made open: the next call is a trial", async () => {
    const breaker = restore({ state: "open", openedAt: null })();
    expect(breaker.state).toBe("open");
    expect(await breaker.call(() => "trial")).toBe("trial");
    expect(breaker.state).toBe("closed");
  });

  it("toJSON of a breaker over a storage made open restores to the same", async () => {
    const original = new CircuitBreaker({ storage: new CircuitMemoryStorage("open") });
    const snapshot = JSON.parse(JSON.stringify(original)) as CircuitBreakerSnapshot;
    expect(snapshot.retryAt).toBeUndefined();
    const restored = new CircuitBreaker({ initialState: snapshot });
    expect(restored.state).toBe("open");
    expect(await restored.call(() => "trial")).toBe("trial");
  });

  it.each(["open", "half-open", "closed"])(
    "refuses an openedAt after the breaker's clock, with state %s",
    (state) => {
      expect(restore({ state, openedAt: 1_001 })).toThrow(
        new RangeError(
          "initialState.openedAt (1001) is after the breaker's clock.now() (1000): a breaker cannot have opened in the future",
        ),
      );
      expect(restore({ state, openedAt: 1_000 })).not.toThrow();
    },
  );

  it("refuses a negative openedAt, as CircuitMemoryStorage does", () => {
    expect(restore({ state: "open", openedAt: -5, retryAt: 10 })).toThrow(
      new RangeError("initialState.openedAt must be epoch ms >= 0, got -5"),
    );
    expect(() => new CircuitMemoryStorage("open", -5)).toThrow(RangeError);
    expect(restore({ state: "open", openedAt: 0, retryAt: 10 })).not.toThrow();
  });

  it("a bad window inside a snapshot is named as part of initialState", () => {
    expect(
      restore(
        { state: "closed", window: { kind: "time", duration: -5, buckets: 1, data: [] } },
        { window: { calls: 10 } },
      ),
    ).toThrow(/^initialState\.window: a time window snapshot's duration must be/);
  });

  it("an open snapshot with openedAt keeps its retryAt", () => {
    const breaker = restore({ state: "open", openedAt: 900, retryAt: 1_000_000 })();
    expect([breaker.state, breaker.retryAt]).toEqual(["open", 1_000_000]);
  });

  it.each(["closed", "half-open"])("refuses a retryAt with state %s", (state) => {
    expect(restore({ state, openedAt: 500, retryAt: 1_000_000 })).toThrow(
      new TypeError(
        `initialState.retryAt applies only to state "open", got retryAt 1000000 with state "${state}"`,
      ),
    );
  });

  it("refuses a window snapshot that is not an object, with or without a window", () => {
    for (const options of [{}, { window: { calls: 5 } }]) {
      expect(restore({ state: "closed", window: "garbage" }, options)).toThrow(
        new TypeError('initialState.window must be a window snapshot from toJSON(), got "garbage"'),
      );
      expect(restore({ state: "closed", window: [1] }, options)).toThrow(
        /initialState\.window .*got an array of length 1/,
      );
      expect(restore({ state: "closed", window: null }, options)).not.toThrow();
    }
  });
});

describe("exponentialBackoff", () => {
  class Options {
    initial = 10;
  }

  it.each([
    [[], "an array of length 0"],
    [new Options(), "an instance of Options"],
    [null, "null"],
    [() => 1, "function anonymous"],
  ])("refuses options %o", (options, shown) => {
    expect(() => exponentialBackoff(options as never)).toThrow(
      new TypeError(`exponentialBackoff: options must be a plain object, got ${shown}`),
    );
  });

  it("takes a plain object, with or without a prototype", () => {
    const bare = Object.assign(Object.create(null) as object, {
      initial: 10,
      jitter: "none" as const,
    });
    expect(exponentialBackoff(bare)(1, undefined)).toBe(10);
    expect(exponentialBackoff()(1, undefined)).toBeLessThanOrEqual(1_000);
  });

  it.each([
    [5, "5"],
    [1, "1"],
    [-0.1, "-0.1"],
    [Number.NaN, "NaN"],
    ["0.5", '"0.5"'],
  ])("a random source answering %s throws rather than pass max", (value, shown) => {
    const backoff = exponentialBackoff({
      initial: 1_000,
      max: 1_000,
      jitter: "full",
      random: () => value as number,
    });
    expect(() => backoff(1, undefined)).toThrow(
      new RangeError(`exponentialBackoff: random() must return a number in [0, 1), got ${shown}`),
    );
  });

  it("jitter none never asks the source", () => {
    const random = vi.fn(() => 5);
    expect(exponentialBackoff({ initial: 100, jitter: "none", random })(3, undefined)).toBe(400);
    expect(random).not.toHaveBeenCalled();
  });

  it("a breaker reports a bad source as a resetTimeout error", async () => {
    const reports: [unknown, string][] = [];
    const breaker = new CircuitBreaker({
      failMax: 1,
      clock: { now: () => 0 },
      resetTimeout: exponentialBackoff({ initial: 1_000, max: 1_000, random: () => 2 }),
      onListenerError: (error, hook) => reports.push([error, hook]),
    });
    await breaker.call(() => Promise.reject(new Error("x"))).catch(() => 0);
    expect(reports).toEqual([
      [
        new RangeError("exponentialBackoff: random() must return a number in [0, 1), got 2"),
        "resetTimeout",
      ],
    ]);
  });
});

describe("a forced opening ends with manual control", () => {
  it.each(["close", "halfOpen"] as const)(
    "%s() after forceOpen() re-enables the breaker",
    (action) => {
      const breaker = new CircuitBreaker();
      breaker.forceOpen();
      breaker[action]();
      expect(breaker.mode).toBe("enabled");
      const snapshot = JSON.parse(JSON.stringify(breaker)) as CircuitBreakerSnapshot;
      expect(() => new CircuitBreaker({ initialState: snapshot })).not.toThrow();
    },
  );
});
