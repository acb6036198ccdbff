import { describe, expect, it } from "vitest";
import {
  CircuitBreakerGroup,
  type CircuitBreaker,
  type CircuitBreakerGroupOptions,
} from "../src/index.js";

function group(extra: Partial<CircuitBreakerGroupOptions> = {}) {
  const time = { now: 0 };
  const g = new CircuitBreakerGroup({
    name: "api",
    failMax: 5,
    maxKeys: 1_000,
    idleTimeout: 100,
    clock: { now: () => time.now },
    ...extra,
  });
  return { g, time };
}

async function fail(breaker: CircuitBreaker): Promise<void> {
  await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
}

describe("maxKeyLength", () => {
  const long = "k".repeat(1_025);
  const refusal = new RangeError(
    'a group key may have at most maxKeyLength (1024) characters, got 1025: "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…"',
  );

  it("refuses a key longer than 1024 characters by default, naming the limit and the key", () => {
    const { g } = group();
    expect(g.get("k".repeat(1_024)).name).toBe(`api:${"k".repeat(1_024)}`);
    expect(() => g.get(long)).toThrow(refusal);
    expect(g.size).toBe(1);
  });

  it("call rejects, never throws, and runs nothing", async () => {
    const { g } = group();
    let ran = false;
    const call = g.call(long, () => (ran = true));
    await expect(call).rejects.toThrow(refusal);
    expect(ran).toBe(false);
  });

  it("has answers false for a key too long to be held", () => {
    const { g } = group();
    expect(g.has(long)).toBe(false);
    expect(g.has(5 as never)).toBe(false);
  });

  it("takes a limit of its own", () => {
    const { g } = group({ maxKeyLength: 4 });
    expect(g.get("abcd").name).toBe("api:abcd");
    expect(() => g.get("abcde")).toThrow(
      'a group key may have at most maxKeyLength (4) characters, got 5: "abcde"',
    );
    expect(group({ maxKeyLength: undefined }).g.get("k".repeat(1_024))).toBeDefined();
  });

  it.each([
    [0, RangeError, "maxKeyLength must be an integer >= 1, got 0"],
    [1.5, RangeError, "maxKeyLength must be an integer >= 1, got 1.5"],
    ["64", TypeError, 'maxKeyLength must be an integer >= 1, got "64" (string)'],
  ])("refuses maxKeyLength %o", (maxKeyLength, type, message) => {
    expect(() => group({ maxKeyLength: maxKeyLength as never })).toThrow(type);
    expect(() => group({ maxKeyLength: maxKeyLength as never })).toThrow(message);
  });
});

describe("evictIdle()", () => {
  it("evicts every clean idle breaker, not a few per call", () => {
    const { g, time } = group();
    for (let i = 0; i < 50; i++) g.get(`k${String(i)}`);
    time.now = 50;
    g.get("recent");
    time.now = 120;
    expect(g.evictIdle()).toBe(50);
    expect(g.keys()).toEqual(["recent"]);
  });

  it("evicts the clean ones behind many idle breakers that hold failures", async () => {
    const { g, time } = group();
    const dirty: CircuitBreaker[] = [];
    for (let i = 0; i < 40; i++) {
      const breaker = g.get(`dirty${String(i)}`);
      await fail(breaker);
      dirty.push(breaker);
    }
    for (let i = 0; i < 30; i++) g.get(`clean${String(i)}`);
    time.now = 200;
    expect(g.evictIdle()).toBe(30);
    expect(g.size).toBe(40);
    // Checked again on the next call, all of them: the ones that became clean go.
    for (const breaker of dirty.slice(0, 25)) breaker.reset();
    expect(g.evictIdle()).toBe(25);
    expect(g.size).toBe(15);
    expect(g.evictIdle()).toBe(0);
  });

  it("the sweep that get() runs stays bounded: a new key evicts a few idle breakers, not all", () => {
    const { g, time } = group();
    for (let i = 0; i < 50; i++) g.get(`k${String(i)}`);
    time.now = 200;
    g.get("new");
    expect(g.size).toBe(50 - 16 + 1);
  });
});

describe("the group's own options", () => {
  it("each takes undefined for its default, as its type says", () => {
    const options: CircuitBreakerGroupOptions = {
      name: "api",
      maxKeys: undefined,
      idleTimeout: undefined,
      maxKeyLength: undefined,
      monitor: undefined,
      storage: undefined,
    };
    const g = new CircuitBreakerGroup(options);
    expect(g.get("k").name).toBe("api:k");
  });

  it.each([
    ["maxKeys", "maxKeys must be an integer >= 1, got null"],
    ["idleTimeout", "idleTimeout must be a finite number of milliseconds >= 0, got null"],
    ["maxKeyLength", "maxKeyLength must be an integer >= 1, got null"],
    ["monitor", "group monitor must be a CircuitBreakerMonitor"],
    ["storage", "group storage must be a function (key) => storage, got null"],
    ["name", "group name must be a non-empty string, got null"],
  ])("refuses %s: null, naming it", (option, message) => {
    const options = { name: "api", [option]: null } as unknown as CircuitBreakerGroupOptions;
    expect(() => new CircuitBreakerGroup(options)).toThrow(TypeError);
    expect(() => new CircuitBreakerGroup(options)).toThrow(message);
  });
});
