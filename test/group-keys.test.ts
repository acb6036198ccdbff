import { describe, expect, it } from "vitest";
import {
  CircuitBreakerGroup,
  CircuitBreakerMonitor,
  type CircuitBreaker,
  type CircuitBreakerGroupOptions,
  type CircuitBreakerListenerHooks,
} from "../src/index.js";

function group(extra: Partial<CircuitBreakerGroupOptions> = {}) {
  const time = { now: 0 };
  const g = new CircuitBreakerGroup({
    name: "api",
    failMax: 1,
    maxKeys: 1,
    idleTimeout: 100,
    clock: { now: () => time.now },
    ...extra,
  });
  return { g, time };
}

async function fail(breaker: CircuitBreaker): Promise<void> {
  await breaker
    .call(() => {
      throw new Error("down");
    })
    .catch(() => undefined);
}

describe("group keys named like the overflow breaker", () => {
  it("a key named overflow, then a full group: the overflow breaker joins the monitor", async () => {
    const monitor = new CircuitBreakerMonitor();
    const { g } = group({ monitor });
    await fail(g.get("overflow"));
    const overflow = g.get("b");
    expect(overflow.name).toBe("api:overflow");
    expect(await g.call("c", () => 1)).toBe(1);
    const key = g.get("overflow");
    expect(key).not.toBe(overflow);
    expect(key.name).toBe("api:_overflow");
    expect(monitor.get("api:_overflow")).toBe(key);
    expect(monitor.get("api:overflow")).toBe(overflow);
  });

  it("without a monitor, a key named overflow and the overflow breaker differ", async () => {
    const { g } = group();
    await fail(g.get("overflow"));
    const overflow = g.get("zzz");
    expect(overflow).not.toBe(g.get("overflow"));
    expect([g.get("overflow").name, overflow.name]).toEqual(["api:_overflow", "api:overflow"]);
  });

  it("escapes every key that could meet an escaped one; other keys keep their names", () => {
    const { g } = group({ maxKeys: 10 });
    const names = ["overflow", "_overflow", "__overflow", "overflow_", "x-overflow", "a"].map(
      (key) => g.get(key).name,
    );
    expect(names).toEqual([
      "api:_overflow",
      "api:__overflow",
      "api:___overflow",
      "api:overflow_",
      "api:x-overflow",
      "api:a",
    ]);
    expect(g.keys()).toContain("overflow");
    expect(g.has("overflow")).toBe(true);
    expect(g.has("_overflow")).toBe(true);
  });
});

describe("group monitor option", () => {
  it.each([
    [42, "42"],
    [{}, "an object"],
    [{ register: () => undefined }, "an object"],
    [null, "null"],
  ])("refuses monitor %j at construction, takes any object with both methods", (monitor, shown) => {
    expect(() => new CircuitBreakerGroup({ name: "g", monitor: monitor as never })).toThrow(
      new TypeError(
        "group monitor must be a CircuitBreakerMonitor (an object with register and unregister " +
          `methods), got ${shown}`,
      ),
    );
    const registered: string[] = [];
    const duck = {
      register: (b: CircuitBreaker) => registered.push(String(b.name)),
      unregister: () => true,
    };
    new CircuitBreakerGroup({ name: "g", monitor: duck as never }).get("k");
    expect(registered).toEqual(["g:k"]);
  });
});

describe("group options given as one-shot iterables", () => {
  it("every key's breaker gets the excluded errors and listeners of a generator", async () => {
    const seen: string[] = [];
    const listener: CircuitBreakerListenerHooks = {
      failure: (breaker) => seen.push(String(breaker.name)),
    };
    const { g } = group({
      maxKeys: 5,
      exclude: (function* () {
        yield TypeError;
      })(),
      listeners: (function* () {
        yield listener;
      })(),
    });
    for (const key of ["a", "b"]) {
      const breaker = g.get(key);
      expect(breaker.excludedExceptions).toEqual([TypeError]);
      expect(breaker.listeners).toEqual([listener]);
      await breaker
        .call(() => {
          throw new TypeError("excluded");
        })
        .catch(() => undefined);
      expect(breaker.failCounter).toBe(0);
      await fail(breaker);
    }
    expect(seen).toEqual(["api:a", "api:b"]);
    // Copying the iterables leaves a bad value for the breaker's own check to name.
    expect(() => group({ exclude: 5 as never })).toThrow("exclude must be an array, got 5");
    expect(() => group({ listeners: "x" as never })).toThrow('listeners must be an array, got "x"');
  });
});

describe("the idle sweep", () => {
  it("evicts a breaker that became clean after a sweep found it idle with failures", async () => {
    const { g, time } = group({ maxKeys: 10, failMax: 5 });
    const u = g.get("u");
    await fail(u);
    await fail(g.get("p"));
    time.now = 150;
    g.get("f"); // sweeps: u and p are idle but hold a failure, so they stay
    time.now = 160;
    g.get("g"); // sweeps again: u and p are checked again, still not clean
    u.reset(); // now clean, idle since 0
    time.now = 165;
    const p = g.get("p"); // used again: held as the most recent, failure kept
    expect(p.failCounter).toBe(1);
    expect(g.keys()).toEqual(["u", "f", "g", "p"]);
    time.now = 170;
    expect(g.evictIdle()).toBe(1);
    expect(g.has("u")).toBe(false);
    expect(g.keys()).toEqual(["f", "g", "p"]);
    expect(g.size).toBe(3);
  });

  it("a full group makes room with a clean idle breaker, wherever it is held", async () => {
    const monitor = new CircuitBreakerMonitor();
    const { g, time } = group({ maxKeys: 19, failMax: 5, monitor });
    const u = g.get("u");
    await fail(u);
    time.now = 60;
    const dirty: CircuitBreaker[] = [];
    for (let i = 0; i < 17; i++) {
      const breaker = g.get(`k${String(i)}`);
      await fail(breaker);
      dirty.push(breaker);
    }
    time.now = 150;
    await fail(g.get("n")); // sweeps: u is idle with a failure; the k are not idle yet
    u.reset();
    // Behind busier breakers (u was checked while they were in use)...
    time.now = 155;
    expect(g.get("m").name).toBe("api:m");
    expect(g.has("u")).toBe(false);
    expect(monitor.get("api:u")).toBeUndefined();
    await fail(g.get("m"));
    // ...and among more idle breakers with failures than one sweep checks.
    time.now = 1_000;
    const overflow = g.get("o1");
    expect(overflow.name).toBe("api:overflow");
    expect(g.get("o2")).toBe(overflow);
    dirty[16]?.reset();
    expect(g.get("o3").name).toBe("api:o3");
    expect(g.has("k16")).toBe(false);
  });
});

describe("breakers with calls in flight", () => {
  function later<T>() {
    let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
    const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    return { promise, ...settle };
  }

  it("a flood of keys does not evict a key whose call is in flight; its failure counts", async () => {
    const { g } = group({ maxKeys: 10 });
    const work = later<never>();
    const pending = g.call("victim", () => work.promise).catch((e: unknown) => e);
    expect(g.get("victim").inFlight).toBe(1);
    for (let i = 0; i < 20; i++) g.get(`flood-${String(i)}`);
    expect(g.has("victim")).toBe(true);
    work.reject(new Error("upstream down"));
    await pending;
    const victim = g.get("victim");
    expect(victim.inFlight).toBe(0);
    expect(victim.state).toBe("open");
    expect(victim.failCounter).toBe(1);
  });

  it.each([
    ["call", (b: CircuitBreaker, fn: () => Promise<unknown>) => b.call(fn)],
    ["protect", (b: CircuitBreaker, fn: () => Promise<unknown>) => b.protect(fn)()],
    ["a thenable", (b: CircuitBreaker, fn: () => Promise<unknown>) => b.call(() => thenable(fn()))],
    ["callTimeout", (b: CircuitBreaker, fn: () => Promise<unknown>) => b.call(fn)],
    ["maxConcurrentCalls", (b: CircuitBreaker, fn: () => Promise<unknown>) => b.call(fn)],
  ] as const)("the idle sweep keeps a breaker whose call runs through %s", async (path, run) => {
    const { g, time } = group({
      maxKeys: 10,
      ...(path === "callTimeout" ? { callTimeout: 1e9 } : {}),
      ...(path === "maxConcurrentCalls" ? { maxConcurrentCalls: 5 } : {}),
    });
    // A first call takes the breaker's longer path; the one in flight, the shortest it can.
    expect(await run(g.get("slow"), () => Promise.resolve("done"))).toBe("done");
    const work = later<string>();
    const pending = run(g.get("slow"), () => work.promise);
    time.now = 1_000;
    expect(g.evictIdle()).toBe(0);
    expect(g.has("slow")).toBe(true);
    work.resolve("done");
    expect(await pending).toBe("done");
    expect(g.get("slow").inFlight).toBe(0);
    time.now = 2_000;
    expect(g.evictIdle()).toBe(1);
  });
});

function thenable<T>(promise: Promise<T>): PromiseLike<T> {
  return { then: (onFulfilled, onRejected) => promise.then(onFulfilled, onRejected) };
}
