import type { Clock } from "./clock.js";
import { describeValue } from "./describe.js";
import type { ExcludedException } from "./exclusions.js";
import type { CircuitBreakerListenerHooks, ListenerHook } from "./listener.js";
import type { CircuitBreakerMonitor } from "./monitor.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { assertBoolean, assertDuration, assertFunction, assertInteger } from "./validate.js";

/** Where listener errors go: the error, unwrapped, and the hook (or `"exclude"` for a predicate). */
export type ListenerErrorHandler = (error: unknown, hook: ListenerHook | "exclude") => void;

/** Options of {@link CircuitBreaker}; every one is optional. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that trip the breaker; an integer >= 1. Default 5. */
  failMax?: number;
  /** Milliseconds the breaker stays open before a trial call; >= 0. Default 60 000. */
  resetTimeout?: number;
  /** Errors that are not failures: error classes (subclasses match) or predicates. */
  exclude?: Iterable<ExcludedException>;
  /** Listeners, called synchronously in this order. */
  listeners?: Iterable<CircuitBreakerListenerHooks>;
  /** Where the state lives; default a new {@link CircuitMemoryStorage}. */
  storage?: CircuitBreakerStorage;
  /** The breaker's name, used in errors and required by a monitor. */
  name?: string;
  /** Whether the tripping call raises `CircuitBreakerError` (with `cause`) rather than the original. Default true. */
  throwNewErrorOnTrip?: boolean;
  /** Successes in half-open needed to close; an integer >= 1. Default 1. */
  successThreshold?: number;
  /** Trial calls admitted at once in half-open; an integer >= 1. Default 1. */
  halfOpenMaxCalls?: number;
  /** Time source, epoch ms. Default `Date.now()`. */
  clock?: Clock;
  /** Receives listener errors; default `console.error`. */
  onListenerError?: ListenerErrorHandler;
  /** A monitor to register the breaker in (it then needs a name). */
  monitor?: CircuitBreakerMonitor;
}

const known = new Set<string>([
  "failMax",
  "resetTimeout",
  "exclude",
  "listeners",
  "storage",
  "name",
  "throwNewErrorOnTrip",
  "successThreshold",
  "halfOpenMaxCalls",
  "clock",
  "onListenerError",
  "monitor",
]);

/** Checks every option before the breaker is built, naming the option and the value on error. */
export function validateOptions(options: unknown): asserts options is CircuitBreakerOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw new TypeError(
        `unknown option ${JSON.stringify(key)}; known options: ${[...known].join(", ")}`,
      );
    }
  }
  const { failMax, resetTimeout, successThreshold, halfOpenMaxCalls, name, throwNewErrorOnTrip } =
    given;
  if (failMax !== undefined) assertInteger("failMax", failMax, 1);
  if (resetTimeout !== undefined) assertDuration("resetTimeout", resetTimeout);
  if (successThreshold !== undefined) assertInteger("successThreshold", successThreshold, 1);
  if (halfOpenMaxCalls !== undefined) assertInteger("halfOpenMaxCalls", halfOpenMaxCalls, 1);
  if (throwNewErrorOnTrip !== undefined) assertBoolean("throwNewErrorOnTrip", throwNewErrorOnTrip);
  if (given["onListenerError"] !== undefined) {
    assertFunction("onListenerError", given["onListenerError"]);
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(`name must be a non-empty string, got ${describeValue(name)}`);
  }
  const clock = given["clock"];
  if (
    clock !== undefined &&
    (typeof clock !== "object" || clock === null || typeof (clock as Clock).now !== "function")
  ) {
    throw new TypeError(`clock must be an object with a now() method, got ${describeValue(clock)}`);
  }
  for (const key of ["exclude", "listeners"] as const) {
    const value = given[key];
    if (
      value !== undefined &&
      (typeof value !== "object" || value === null || !(Symbol.iterator in value))
    ) {
      throw new TypeError(`${key} must be an array, got ${describeValue(value)}`);
    }
  }
  const storage = given["storage"] as Partial<CircuitBreakerStorage> | undefined;
  if (
    storage !== undefined &&
    (typeof storage !== "object" || typeof storage.setState !== "function")
  ) {
    throw new TypeError(
      `storage must implement CircuitBreakerStorage, got ${describeValue(storage)}`,
    );
  }
}
