import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import { CircuitBreaker, CircuitBreakerError, CircuitBreakerState } from "../src/index.js";
import { describeValue } from "../src/describe.js";

describe("public surface", () => {
  it("exports exactly the documented runtime names", () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        "CircuitBreaker",
        "CircuitBreakerError",
        "CircuitBreakerListener",
        "CircuitBreakerMonitor",
        "CircuitBreakerState",
        "CircuitMemoryStorage",
        "CallTimeoutError",
        "CALL_CHANNEL",
        "CircuitBreakerGroup",
        "FailedResultError",
        "describeValue",
        "REJECTED_CHANNEL",
        "STATE_CHANGE_CHANNEL",
        "CircuitBreakerMode",
        "ConcurrencyLimitError",
        "exponentialBackoff",
        "parseRetryAfter",
        "retryAfterFromError",
      ].sort(),
    );
  });

  it("CircuitBreakerState is a frozen map of the three strings", () => {
    expect(CircuitBreakerState).toEqual({ CLOSED: "closed", OPEN: "open", HALF_OPEN: "half-open" });
    expect(Object.isFrozen(CircuitBreakerState)).toBe(true);
  });
});

describe("CircuitBreakerError", () => {
  it("sets name, breaker, state, retryAt, retryAfter and cause", () => {
    const cause = new Error("root");
    const error = new CircuitBreakerError("tripped", {
      breaker: "db",
      state: "open",
      retryAt: 1_500,
      cause,
      clock: { now: () => 1_000 },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CircuitBreakerError");
    expect(error.message).toBe("tripped");
    expect(error.breaker).toBe("db");
    expect(error.state).toBe("open");
    expect(error.retryAt).toBe(1_500);
    expect(error.retryAfter).toBe(500);
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe("CircuitBreakerError: tripped");
  });

  it("never reports a negative retryAfter, and none without retryAt", () => {
    const late = new CircuitBreakerError("x", {
      state: "open",
      retryAt: 10,
      clock: { now: () => 50 },
    });
    expect(late.retryAfter).toBe(0);
    const halfOpen = new CircuitBreakerError("x", { state: "half-open" });
    expect(halfOpen.retryAt).toBeUndefined();
    expect(halfOpen.retryAfter).toBeUndefined();
    expect("cause" in halfOpen).toBe(false);
  });

  it("a rejection names the breaker and a trip keeps a stack", async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ name: "db", failMax: 1, clock: { now: () => now } });
    const trip = await breaker
      .call(() => Promise.reject(new Error("down")))
      .catch((e: unknown) => e);
    expect(trip).toBeInstanceOf(CircuitBreakerError);
    expect((trip as Error).message).toBe(
      'Circuit breaker "db" opened after 1 consecutive failures',
    );
    expect((trip as Error).stack).toContain("CircuitBreakerError");
    now = 10;
    const rejection = await breaker.call(() => 1).catch((e: unknown) => e);
    expect((rejection as Error).message).toBe('Circuit breaker "db" is open');
    expect((rejection as CircuitBreakerError).retryAfter).toBe(59_990);
  });

  it("stackless rejections restore Error.stackTraceLimit", async () => {
    const before = Error.stackTraceLimit;
    const breaker = new CircuitBreaker();
    breaker.open();
    await expect(breaker.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerError);
    expect(Error.stackTraceLimit).toBe(before);
  });
});

describe("describeValue", () => {
  it("renders each kind of value distinctly", () => {
    expect(describeValue("3")).toBe('"3"');
    expect(describeValue("x".repeat(50))).toBe(`"${"x".repeat(40)}…"`);
    expect(describeValue(-0)).toBe("-0");
    expect(describeValue(NaN)).toBe("NaN");
    expect(describeValue(10n)).toBe("10n");
    expect(describeValue(Symbol("s"))).toBe("Symbol(s)");
    expect(describeValue(class Foo {})).toBe("class Foo");
    expect(describeValue(function bar() {})).toBe("function bar");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue([1, 2])).toBe("an array of length 2");
    expect(describeValue(new Map())).toBe("an instance of Map");
    expect(describeValue({})).toBe("an object");
    expect(describeValue(Object.create(null))).toBe("an object");
  });
});
