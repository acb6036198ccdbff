import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  type CircuitBreakerListenerHooks,
  type CircuitBreakerState,
} from "../src/index.js";
import { deferred, manualClock } from "./support.js";

const swallow = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

describe("calls admitted before a change of mode decide nothing", () => {
  it("a closed call that fails after disable() neither counts towards a trip nor trips", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    const work = deferred();
    const pending = swallow(breaker.call(() => work.promise));
    breaker.disable();
    work.reject(new Error("down"));
    expect(await pending).toEqual(new Error("down"));
    breaker.enable();
    expect([breaker.state, breaker.failCounter]).toEqual(["closed", 0]);
  });

  it("a half-open trial that fails after disable() does not re-open; one that succeeds does not close", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    breaker.open();
    time.now += 10;
    const failing = deferred();
    const trial = swallow(breaker.call(() => failing.promise));
    expect(breaker.state).toBe("half-open");
    breaker.disable();
    failing.reject(new Error("down"));
    expect(await trial).toEqual(new Error("down"));
    expect(breaker.state).toBe("half-open");
    breaker.enable();
    const succeeding = deferred();
    const second = breaker.call(() => succeeding.promise);
    breaker.forceOpen();
    breaker.enable();
    succeeding.resolve("late");
    expect(await second).toBe("late");
    // forceOpen() opened it; the trial's late success does not close it.
    expect(breaker.state).toBe("open");
  });

  it("a call admitted while disabled that fails after enable() does not trip", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    breaker.disable();
    const work = deferred();
    const pending = swallow(breaker.call(() => work.promise));
    breaker.enable();
    work.reject(new Error("down"));
    await pending;
    expect(breaker.state).toBe("closed");
  });
});

describe("listeners that move the breaker", () => {
  function listening(name: string, heard: string[], onOpen?: (b: CircuitBreaker) => void) {
    return {
      stateChange: (b: CircuitBreaker, from: CircuitBreakerState, to: CircuitBreakerState) => {
        heard.push(`${name}:${from}->${to}`);
        if (to === "open") onOpen?.(b);
      },
    } satisfies CircuitBreakerListenerHooks;
  }

  it("changes made inside a listener reach every listener after the current one, in order", async () => {
    const heard: string[] = [];
    const breaker = new CircuitBreaker({
      failMax: 1,
      listeners: [
        listening("first", heard, (b) => {
          b.close();
        }),
        listening("second", heard),
      ],
    });
    await swallow(breaker.call(() => Promise.reject(new Error("down"))));
    expect(heard).toEqual([
      "first:closed->open",
      "second:closed->open",
      "first:open->closed",
      "second:open->closed",
    ]);
    expect(breaker.state).toBe("closed");
    expect(await breaker.call(() => "runs")).toBe("runs");
  });

  it("a listener that closes the breaker as it half-opens lets the call run as a closed one", async () => {
    const { time, clock } = manualClock();
    const heard: string[] = [];
    const breaker = new CircuitBreaker({
      failMax: 1,
      resetTimeout: 10,
      clock,
      listeners: [
        {
          stateChange: (b, from, to) => {
            heard.push(`${from}->${to}`);
            if (to === "half-open") b.close();
          },
        },
      ],
    });
    breaker.open();
    time.now += 10;
    expect(await breaker.call(() => "ran")).toBe("ran");
    expect(heard).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });

  it("a listener that re-opens at every half-opening ends with the call refused as open", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({
      failMax: 1,
      resetTimeout: 0,
      clock,
      listeners: [
        {
          stateChange: (b, _from, to) => {
            if (to === "half-open") b.open();
          },
        },
      ],
    });
    breaker.open();
    time.now += 1;
    const refused = await swallow(breaker.call(() => "never"));
    expect(refused).toBeInstanceOf(CircuitBreakerError);
    expect((refused as CircuitBreakerError).message).toBe("Circuit breaker is open");
  });
});

describe("call() never throws", () => {
  it("for a revoked Proxy as the function: it rejects", async () => {
    const breaker = new CircuitBreaker();
    const { proxy, revoke } = Proxy.revocable(() => 1, {});
    revoke();
    await expect(breaker.call(proxy)).rejects.toThrow(TypeError);
    expect(breaker.stats.calls).toBe(0);
  });

  it("for a hostile Proxy as the last argument: it passes through untouched", async () => {
    const breaker = new CircuitBreaker();
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf: () => {
          throw new Error("trap");
        },
        has: () => {
          throw new Error("trap");
        },
        getOwnPropertyDescriptor: () => {
          throw new Error("trap");
        },
      },
    );
    expect(await breaker.call((value: unknown) => value === hostile, hostile)).toBe(true);
  });

  it("for an exclude class whose Symbol.hasInstance throws: the error counts, the fault is reported", async () => {
    const reported: [unknown, string][] = [];
    class Hostile extends Error {
      static override [Symbol.hasInstance](): boolean {
        throw new Error("hasInstance bug");
      }
    }
    const breaker = new CircuitBreaker({
      failMax: 1,
      exclude: [Hostile],
      onListenerError: (error, source) => reported.push([error, source]),
    });
    const outcome = await swallow(breaker.call(() => Promise.reject(new Error("down"))));
    expect(outcome).toBeInstanceOf(CircuitBreakerError);
    expect(reported).toEqual([[new Error("hasInstance bug"), "exclude"]]);
  });
});

describe("a clock set back after an opening", () => {
  it("never keeps the breaker open longer than the opening's own duration", async () => {
    const { time, clock } = manualClock(1_000_000);
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 60_000, clock });
    // The clock ran a day ahead when the breaker opened, and is corrected afterwards.
    time.now += 86_400_000;
    breaker.open();
    time.now -= 86_400_000;
    expect(breaker.retryAt).toBe(time.now + 60_000);
    expect(breaker.openedAt).toBe(time.now);
    const json = breaker.toJSON();
    expect(json.retryAt! - json.openedAt!).toBe(60_000);
    time.now += 60_000;
    expect(await breaker.call(() => "trial")).toBe("trial");
    expect(breaker.state).toBe("closed");
  });

  it("keeps an opening taken from a storage as it was when the clock is not behind", () => {
    const { time, clock } = manualClock(1_000_000);
    const breaker = new CircuitBreaker({ resetTimeout: 1_000, clock });
    breaker.open();
    time.now += 500;
    expect(breaker.retryAt).toBe(1_001_000);
  });
});

describe("@protect refuses what is not a method", () => {
  it.each(["class", "getter", "setter", "field", "accessor"])(
    "a standard %s decorator context, naming it",
    (kind) => {
      const breaker = new CircuitBreaker();
      expect(() =>
        breaker.protect(() => 1, { kind, name: "thing" } as unknown as ClassMethodDecoratorContext),
      ).toThrow(`@protect decorates methods; got a "${kind}" decorator context for "thing"`);
    },
  );

  it("a class given as the function, and a legacy accessor", () => {
    const breaker = new CircuitBreaker();
    class Service {
      get value() {
        return 1;
      }
    }
    expect(() => breaker.protect(Service as unknown as () => unknown)).toThrow(
      "protect guards functions and methods, got class Service",
    );
    const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, "value")!;
    expect(() => breaker.protect(Service.prototype, "value", descriptor)).toThrow(
      '@protect decorates methods; "value" is an accessor',
    );
  });
});
