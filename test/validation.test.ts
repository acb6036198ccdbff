import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerListener,
  CircuitMemoryStorage,
  type CircuitBreakerOptions,
} from "../src/index.js";

const make = (options: unknown) => () => new CircuitBreaker(options as CircuitBreakerOptions);

describe("bad options name the option and the value", () => {
  it.each([
    ["failMax", 0, /failMax must be an integer >= 1, got 0/],
    ["failMax", 1.5, /failMax must be an integer >= 1, got 1.5/],
    ["failMax", -1, /failMax.*got -1/],
    ["failMax", NaN, /failMax.*got NaN/],
    ["failMax", "3", /failMax.*got "3" \(string\)/],
    ["resetTimeout", -1, /resetTimeout must be a finite number of milliseconds >= 0, got -1/],
    ["resetTimeout", NaN, /resetTimeout.*got NaN/],
    ["resetTimeout", Infinity, /resetTimeout.*got Infinity/],
    ["resetTimeout", "10", /resetTimeout.*got "10"/],
    ["successThreshold", 0, /successThreshold.*got 0/],
    ["successThreshold", 1.5, /successThreshold.*got 1.5/],
    ["halfOpenMaxCalls", 0, /halfOpenMaxCalls.*got 0/],
    ["halfOpenMaxCalls", 2.5, /halfOpenMaxCalls.*got 2.5/],
    ["throwNewErrorOnTrip", "no", /throwNewErrorOnTrip must be a boolean, got "no"/],
    ["onListenerError", 1, /onListenerError must be a function, got 1/],
    ["name", "", /name must be a non-empty string, got ""/],
    ["clock", {}, /clock must be an object with a now\(\) method/],
    ["exclude", 5, /exclude must be an array, got 5/],
    ["listeners", 5, /listeners must be an array, got 5/],
    ["storage", {}, /storage must implement CircuitBreakerStorage/],
  ])("%s = %s", (option, value, message) => {
    expect(make({ [option]: value })).toThrow(message);
  });

  it("rejects unknown options, non-objects, bad exclude entries and listeners", () => {
    expect(make({ failmax: 3 })).toThrow(/unknown option "failmax"/);
    expect(make(5)).toThrow(/options must be an object, got 5/);
    expect(make({ exclude: ["TypeError"] })).toThrow(
      /exclude entry must be an error class or a predicate function, got "TypeError"/,
    );
    expect(make({ listeners: [5] })).toThrow(/a listener must be an object.*got 5/);
    expect(make({ listeners: [CircuitBreakerListener] })).toThrow(
      /did you mean new CircuitBreakerListener\(\)/,
    );
    expect(make({ listeners: [{ success: "yes" }] })).toThrow(
      /listener hook success must be a function, got "yes"/,
    );
    expect(() => new CircuitMemoryStorage("bogus" as never)).toThrow(/initialState.*"bogus"/);
    expect(() => new CircuitMemoryStorage("open", NaN)).toThrow(/openedAt.*NaN/);
  });

  it("setters validate the same way and keep the old value", () => {
    const breaker = new CircuitBreaker({ failMax: 3, resetTimeout: 10 });
    expect(() => (breaker.failMax = 0)).toThrow(/failMax.*got 0/);
    expect(() => (breaker.resetTimeout = -5)).toThrow(/resetTimeout.*got -5/);
    expect(breaker.failMax).toBe(3);
    expect(breaker.resetTimeout).toBe(10);
    breaker.failMax = 7;
    breaker.resetTimeout = 0;
    expect([breaker.failMax, breaker.resetTimeout]).toEqual([7, 0]);
  });
});

describe("lists", () => {
  it("listeners and exclusions are copies in insertion order", () => {
    const a = { success: () => undefined };
    const b = new CircuitBreakerListener();
    const breaker = new CircuitBreaker({ listeners: [a] });
    breaker.addListeners(b);
    const copy = breaker.listeners as unknown[];
    copy.length = 0;
    expect(breaker.listeners).toEqual([a, b]);
    expect(breaker.removeListener(a)).toBe(true);
    expect(breaker.removeListener(a)).toBe(false);
    const predicate = (e: unknown) => e === 1;
    breaker.addExcludedExceptions(TypeError, predicate);
    breaker.addExcludedException(RangeError);
    expect(breaker.excludedExceptions).toEqual([TypeError, predicate, RangeError]);
    expect(breaker.removeExcludedException(TypeError)).toBe(true);
    expect(breaker.removeExcludedException(TypeError)).toBe(false);
    expect(breaker.excludedExceptions).toEqual([predicate, RangeError]);
  });

  it("a throwing predicate excludes nothing and is reported as 'exclude'", async () => {
    const reports: [unknown, string][] = [];
    const oops = new Error("predicate");
    const breaker = new CircuitBreaker({
      exclude: [
        () => {
          throw oops;
        },
      ],
      onListenerError: (error, hook) => reports.push([error, hook]),
    });
    await breaker.call(() => Promise.reject(new Error("x"))).catch(() => 0);
    expect(breaker.failCounter).toBe(1);
    expect(reports).toEqual([[oops, "exclude"]]);
  });

  it("a failing onListenerError falls back to the console; the default logs there", async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      const listenerError = new Error("l");
      const handlerError = new Error("h");
      const failingHandler = new CircuitBreaker({
        onListenerError: () => {
          throw handlerError;
        },
        listeners: [
          {
            beforeCall: () => {
              throw listenerError;
            },
          },
        ],
      });
      await failingHandler.call(() => 1);
      expect(logged[0]).toEqual([handlerError, listenerError]);
      const byDefault = new CircuitBreaker({
        listeners: [
          {
            stateChange: () => {
              throw listenerError;
            },
          },
        ],
      });
      byDefault.open();
      expect(logged[1]).toEqual(["aiobreaker: listener hook stateChange failed", listenerError]);
    } finally {
      console.error = original;
    }
  });
});
