import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitBreakerOptions } from "../src/index.js";
import { manualClock } from "./support.js";

/** A thenable whose `then` throws. */
function thenableWithThrowingThen(): PromiseLike<never> {
  return {
    then() {
      throw new Error("then threw");
    },
  };
}

/** An instance of a promise subclass whose `then` throws. */
function subclassWithThrowingThen(): Promise<never> {
  class Hostile<T> extends Promise<T> {
    override then(): never {
      throw new Error("subclass then threw");
    }
  }
  return new Hostile<never>(() => undefined);
}

/** A thenable whose `then` getter throws. */
function thenableWithThrowingGetter(): PromiseLike<never> {
  return Object.defineProperty({}, "then", {
    get() {
      throw new Error("getter threw");
    },
  }) as PromiseLike<never>;
}

const hostile: [string, () => unknown, string][] = [
  ["a thenable whose then throws", thenableWithThrowingThen, "then threw"],
  ["a promise subclass whose then throws", subclassWithThrowingThen, "subclass then threw"],
  ["a thenable whose then getter throws", thenableWithThrowingGetter, "getter threw"],
];

// Each set of options sends a call down a different path of the breaker.
const paths: [string, CircuitBreakerOptions][] = [
  ["the shortest path", {}],
  ["the path with a beforeCall listener", { listeners: [{ beforeCall: () => undefined }] }],
  ["the timed path", { callTimeout: 1_000 }],
  ["the controlled path", { maxConcurrentCalls: 4, slowCallDuration: 1_000 }],
];

describe("a result whose then throws is the call's failure, never a throw or a leak", () => {
  for (const [what, make, message] of hostile) {
    for (const [path, options] of paths) {
      it(`${what}, through ${path}`, async () => {
        const breaker = new CircuitBreaker({ ...options, failMax: 1, throwNewErrorOnTrip: false });
        // A first call settles the breaker into its steady path (the first one catches up).
        expect(await breaker.call(() => "warm")).toBe("warm");
        const result = breaker.call(make);
        expect(result).toBeInstanceOf(Promise);
        await expect(result).rejects.toThrow(message);
        expect([breaker.inFlight, breaker.state]).toEqual([0, "open"]);
      });
    }

    it(`${what}, from a protected function`, async () => {
      const breaker = new CircuitBreaker({ failMax: 1, throwNewErrorOnTrip: false });
      const guarded = breaker.protect(make);
      expect(await breaker.call(() => "warm")).toBe("warm");
      await expect(guarded()).rejects.toThrow(message);
      expect([breaker.inFlight, breaker.state]).toEqual([0, "open"]);
    });

    it(`${what}, as a half-open trial: its slot is not lost`, async () => {
      const { time, clock } = manualClock();
      const breaker = new CircuitBreaker({
        failMax: 1,
        resetTimeout: 10,
        halfOpenTimeout: 1_000,
        throwNewErrorOnTrip: false,
        clock,
      });
      breaker.open();
      time.now += 10;
      await expect(breaker.call(make)).rejects.toThrow(message);
      expect([breaker.inFlight, breaker.state]).toEqual([0, "open"]);
    });
  }

  it("a thenable whose then getter throws, from callSync: a failure, thrown", () => {
    const breaker = new CircuitBreaker({ failMax: 1, throwNewErrorOnTrip: false });
    expect(() => breaker.callSync(thenableWithThrowingGetter)).toThrow("getter threw");
    expect(breaker.state).toBe("open");
  });

  it("a promise subclass whose then throws, from callSync: refused as a promise, counted as nothing", () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    expect(() => breaker.callSync(subclassWithThrowingThen)).toThrow("callSync got a thenable");
    expect([breaker.state, breaker.failCounter]).toEqual(["closed", 0]);
  });
});

/** A promise resolved with "real" whose own `then` counts its calls and throws. */
function promiseWithOwnThen(): { promise: Promise<string>; ownThenCalls: () => number } {
  let calls = 0;
  const promise = Promise.resolve("real");
  void Object.defineProperty(promise, "then", {
    value: () => {
      calls++;
      throw new Error("own then");
    },
  });
  return { promise, ownThenCalls: () => calls };
}

describe("a plain promise is followed by its own state, as await does", () => {
  for (const [path, options] of paths) {
    it(`a then set on the promise itself is never called, through ${path}`, async () => {
      const breaker = new CircuitBreaker(options);
      expect(await breaker.call(() => "warm")).toBe("warm");
      const { promise, ownThenCalls } = promiseWithOwnThen();
      expect(await breaker.call(() => promise)).toBe("real");
      expect([ownThenCalls(), breaker.inFlight, breaker.failCounter]).toEqual([0, 0, 0]);
    });
  }

  it("a then set on the promise itself is never called, from a protected function", async () => {
    const breaker = new CircuitBreaker();
    const { promise, ownThenCalls } = promiseWithOwnThen();
    const guarded = breaker.protect(() => promise);
    expect(await breaker.call(() => "warm")).toBe("warm");
    expect(await guarded()).toBe("real");
    expect([ownThenCalls(), breaker.inFlight, breaker.failCounter]).toEqual([0, 0, 0]);
  });

  it("a thenable that calls back twice settles the call once", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    expect(await breaker.call(() => "warm")).toBe("warm");
    const twice = {
      then(resolve: (value: string) => void, reject: (error: Error) => void) {
        resolve("first");
        reject(new Error("second"));
      },
    };
    expect(await breaker.call(() => twice)).toBe("first");
    expect([breaker.state, breaker.failCounter, breaker.inFlight]).toEqual(["closed", 0, 0]);
  });
});

describe("results off the shortest path", () => {
  const viaBeforeCall = { listeners: [{ beforeCall: () => undefined }] };

  it("a function with a then method is adopted as a thenable", async () => {
    const breaker = new CircuitBreaker(viaBeforeCall);
    const thenableFunction = Object.assign(() => undefined, {
      then: (resolve: (value: string) => void) => {
        resolve("from a function");
      },
    });
    expect(await breaker.call(() => thenableFunction)).toBe("from a function");
    expect(breaker.inFlight).toBe(0);
  });

  it("null and plain values are results, not thenables", async () => {
    const breaker = new CircuitBreaker(viaBeforeCall);
    expect(await breaker.call(() => null)).toBeNull();
    expect(await breaker.call(() => ({ then: "not callable" }))).toEqual({ then: "not callable" });
  });

  it("callSync measures a slow call and records it in the window", () => {
    const { time, clock } = manualClock();
    const slow: number[] = [];
    const breaker = new CircuitBreaker({
      clock,
      slowCallDuration: 10,
      window: { calls: 4 },
      listeners: [{ slow: (_breaker, duration) => slow.push(duration) }],
    });
    expect(
      breaker.callSync(() => {
        time.now += 25;
        return "late";
      }),
    ).toBe("late");
    expect(breaker.callSync(() => "quick")).toBe("quick");
    expect(slow).toEqual([25]);
    expect(breaker.metrics).toMatchObject({ calls: 2, slowCalls: 1 });
  });
});

describe("callSync given a promise", () => {
  it("reports the promise's rejection to onListenerError instead of leaving it unhandled", async () => {
    const reported: [unknown, string][] = [];
    const breaker = new CircuitBreaker({
      onListenerError: (error, source) => {
        reported.push([error, source]);
      },
    });
    const failure = new Error("async failure");
    expect(() => breaker.callSync(() => Promise.reject(failure))).toThrow(TypeError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual([[failure, "callSync"]]);
  });

  it("leaves a foreign thenable alone: its then may start work", () => {
    const breaker = new CircuitBreaker();
    let started = 0;
    const lazyQuery = {
      then(resolve: (rows: string[]) => void) {
        started++;
        resolve(["row"]);
      },
    };
    expect(() => breaker.callSync(() => lazyQuery)).toThrow(TypeError);
    expect(started).toBe(0);
  });
});

describe("execute options", () => {
  it("refuse a signal-like object without removeEventListener", async () => {
    const breaker = new CircuitBreaker({ callTimeout: 1_000 });
    const signal = { aborted: false, addEventListener: () => undefined };
    await expect(
      breaker.execute(() => 1, { signal: signal as unknown as AbortSignal }),
    ).rejects.toThrow("execute options: signal must be an AbortSignal or undefined, got an object");
    expect(breaker.inFlight).toBe(0);
  });

  it("refuse a signal whose properties cannot be read, without throwing", async () => {
    const breaker = new CircuitBreaker();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    await expect(
      breaker.execute(() => 1, { signal: proxy as unknown as AbortSignal }),
    ).rejects.toThrow(
      "execute options: signal must be an AbortSignal or undefined, got a value that cannot be inspected (object)",
    );
  });
});
