import type { ResetTimeoutFunction } from "./exponential-backoff.js";
import type { Clock } from "./clock.js";
import { describeValue } from "./describe.js";
import type { ExcludedException } from "./exclusions.js";
import type { CircuitBreakerListenerHooks, ListenerHook } from "./listener.js";
import type { CircuitBreakerMonitor } from "./monitor.js";
import type { RetryAfterExtractor } from "./retry-after-header.js";
import type { CircuitBreakerSnapshot } from "./snapshot.js";
import { isCircuitBreakerMode } from "./mode.js";
import { isCircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { assertFunction } from "./validate.js";
import type { WindowSpec } from "./outcome-window.js";

/**
 * Where a reported error came from: a listener hook, or `"exclude"` (an exclusion predicate that
 * threw or answered with a promise), `"isFailureResult"` (the result predicate, likewise),
 * `"resetTimeout"` / `"retryAfterFrom"` (those options' functions, when they throw or return
 * something that is not a duration), `"callSync"` (the rejection of a promise that `callSync`
 * refused), `"storage"` (a storage method that threw, or a subscription that failed).
 */
export type ErrorSource =
  | ListenerHook
  | "exclude"
  | "isFailureResult"
  | "resetTimeout"
  | "retryAfterFrom"
  | "callSync"
  | "storage";

/**
 * Where errors that must not reach a caller go: the error, unwrapped, and its source. The handler
 * may be async; if it throws or rejects, both errors go to `console.error`, the one place left
 * that loses neither.
 */
export type ListenerErrorHandler = (error: unknown, source: ErrorSource) => unknown;

/**
 * Runs in place of a call that was rejected or failed; its result (or its error) is what the
 * caller gets. `error` is what the caller would have got; `args` are the call's arguments (a
 * breaker's fallback serves every function it guards, so they are `unknown` here: `protect` and
 * `execute` take fallbacks typed from the function).
 */
export type Fallback = (error: unknown, ...args: unknown[]) => unknown;

/**
 * Judges a value the guarded function returned: `true` counts the call as a failure (the caller
 * still gets the value). Must answer synchronously.
 *
 * @example
 * ```ts
 * const isServerError = (result: unknown) => result instanceof Response && result.status >= 500;
 * ```
 */
export type FailureResultPredicate = (result: unknown) => boolean;

/** Options that `reconfigure` can change on a live breaker. */
export interface ReconfigurableOptions {
  /** Consecutive failures that trip the breaker; an integer >= 1. Default 5, or off when a `window` is set. */
  failMax?: number | undefined;
  /**
   * Milliseconds the breaker stays open before a trial call, >= 0 (default 60 000); or a function
   * `(attempt, error) => ms` for backoff, e.g. {@link exponentialBackoff}.
   */
  resetTimeout?: number | ResetTimeoutFunction | undefined;
  /** Whether the tripping call raises `CircuitBreakerError` (with `cause`) rather than the original. Default true. */
  throwNewErrorOnTrip?: boolean | undefined;
  /** Successes in half-open needed to close; an integer >= 1. Default 1. */
  successThreshold?: number | undefined;
  /** Trial calls admitted at once in half-open; an integer >= 1. Default 1. */
  halfOpenMaxCalls?: number | undefined;
  /** A failure-rate window: the last N calls, or the last N ms in buckets. */
  window?: WindowSpec | undefined;
  /** Percent of failed calls in the window that trips (at `>=`); (0, 100]. Default 50 with a window. */
  failureRateThreshold?: number | undefined;
  /** Calls the window must hold before any rate verdict; an integer >= 1. Default 10 (at most a count window's size). */
  minimumCalls?: number | undefined;
  /** A call taking this many ms or more is slow; > 0. */
  slowCallDuration?: number | undefined;
  /** Percent of slow calls in the window that trips (at `>=`); (0, 100]. Default 100 with `slowCallDuration`. */
  slowCallRateThreshold?: number | undefined;
  /** Milliseconds a call may run before it fails with `CallTimeoutError`; > 0. */
  callTimeout?: number | undefined;
  /** Milliseconds after which a trial call that has not settled gives back its slot; > 0. */
  halfOpenTimeout?: number | undefined;
  /** Callers beyond `halfOpenMaxCalls` that wait for a trial slot instead of being rejected; an integer >= 0. Default 0. */
  halfOpenQueueSize?: number | undefined;
  /** Calls running at once; more are refused with `ConcurrencyLimitError`. An integer >= 1. */
  maxConcurrentCalls?: number | undefined;
  /** Runs instead of a rejected or failed call (see the README for exactly which). */
  fallback?: Fallback | undefined;
  /**
   * Counts a returned value as a failure when it answers `true` (a `Response` with status >= 500,
   * say); the caller still gets the value, and the fallback does not run for it.
   */
  isFailureResult?: FailureResultPredicate | undefined;
  /** Reads how long a failure asks the breaker to stay open (e.g. {@link retryAfterFromError}). */
  retryAfterFrom?: RetryAfterExtractor | undefined;
  /** The longest open time a `retryAfterFrom` value may ask for, ms. Default 300 000. */
  maxRetryAfter?: number | undefined;
}

/** Options of {@link CircuitBreaker}; every one is optional. */
export interface CircuitBreakerOptions extends ReconfigurableOptions {
  /** Errors that are not failures: error classes (subclasses match) or predicates. */
  exclude?: Iterable<ExcludedException> | undefined;
  /** Listeners, called synchronously in this order. */
  listeners?: Iterable<CircuitBreakerListenerHooks> | undefined;
  /** Where the state lives; default a new {@link CircuitMemoryStorage}. */
  storage?: CircuitBreakerStorage | undefined;
  /** The breaker's name, used in errors and required by a monitor. */
  name?: string | undefined;
  /**
   * Time source, epoch ms. Default `Date.now()`. Asked once at construction: `now()` must return
   * a finite number.
   */
  clock?: Clock | undefined;
  /** Receives the errors that must not reach a caller (see {@link ErrorSource}); default `console.error`. */
  onListenerError?: ListenerErrorHandler | undefined;
  /**
   * A monitor to register the breaker in (it then needs a name): a {@link CircuitBreakerMonitor}
   * or any object with `register` and `unregister` methods.
   */
  monitor?: CircuitBreakerMonitor | undefined;
  /** A state saved with `toJSON()` to start from (restarts, serverless). */
  initialState?: CircuitBreakerSnapshot | undefined;
}

/** The option names `reconfigure` accepts. */
export const reconfigurable: ReadonlySet<string> = new Set([
  "failMax",
  "resetTimeout",
  "throwNewErrorOnTrip",
  "successThreshold",
  "halfOpenMaxCalls",
  "window",
  "failureRateThreshold",
  "minimumCalls",
  "slowCallDuration",
  "slowCallRateThreshold",
  "callTimeout",
  "halfOpenTimeout",
  "halfOpenQueueSize",
  "maxConcurrentCalls",
  "fallback",
  "isFailureResult",
  "retryAfterFrom",
  "maxRetryAfter",
]);

const known: ReadonlySet<string> = new Set([
  ...reconfigurable,
  "exclude",
  "listeners",
  "storage",
  "name",
  "clock",
  "onListenerError",
  "monitor",
  "initialState",
]);

/**
 * Checks that `options` is an object whose keys are all in `allowed`, none of them `null`:
 * `undefined` (or leaving an option out) means its default, and `null` means nothing, rather than
 * meaning "default" for some options and "none" for others.
 */
export function assertOptionNames(
  options: unknown,
  allowed: ReadonlySet<string>,
  what: string,
): asserts options is Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      throw new TypeError(
        `unknown option ${JSON.stringify(key)}; ${what} takes: ${[...allowed].join(", ")}`,
      );
    }
    if ((options as Record<string, unknown>)[key] === null) {
      throw new TypeError(
        `${what}: ${key} must not be null; leave it out or pass undefined for the default`,
      );
    }
  }
}

/**
 * Checks the options that only the constructor takes, naming the option and the value on error.
 * The reconfigurable ones are checked when they are resolved (see `resolveSettings`).
 */
export function validateOptions(options: unknown): asserts options is CircuitBreakerOptions {
  assertOptionNames(options, known, "options");
  const given = options;
  const name = given["name"];
  if (given["onListenerError"] !== undefined) {
    assertFunction("onListenerError", given["onListenerError"]);
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(`name must be a non-empty string, got ${describeValue(name)}`);
  }
  const clock = given["clock"];
  if (clock !== undefined) assertClock(clock);
  for (const key of ["exclude", "listeners"] as const) {
    const value = given[key];
    if (
      value !== undefined &&
      (typeof value !== "object" ||
        value === null ||
        typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function")
    ) {
      throw new TypeError(`${key} must be an array, got ${describeValue(value)}`);
    }
  }
  const storage = given["storage"];
  if (storage !== undefined) assertStorage(storage);
  const monitor = given["monitor"];
  if (
    monitor !== undefined &&
    (typeof monitor !== "object" ||
      monitor === null ||
      typeof (monitor as Partial<CircuitBreakerMonitor>).register !== "function" ||
      typeof (monitor as Partial<CircuitBreakerMonitor>).unregister !== "function")
  ) {
    throw new TypeError(
      "monitor must be a CircuitBreakerMonitor (an object with register and unregister " +
        `methods), got ${describeValue(monitor)}`,
    );
  }
}

/**
 * Checks the clock's shape, and asks it the time once: a clock answering with a `Date`, a string
 * or `NaN` would make every time comparison false, and an open breaker would then run every call.
 * Asked here once so that the per-call path need not check.
 */
function assertClock(clock: unknown): asserts clock is Clock {
  if (typeof clock !== "object" || clock === null || typeof (clock as Clock).now !== "function") {
    throw new TypeError(`clock must be an object with a now() method, got ${describeValue(clock)}`);
  }
  const now: unknown = (clock as Clock).now();
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new TypeError(
      `clock.now() must return epoch ms as a finite number, got ${describeValue(now)}`,
    );
  }
}

/** The methods of {@link CircuitBreakerStorage}: a breaker calls each of them. */
const storageMethods = [
  "recordFailure",
  "resetFailCounter",
  "recordTrialSuccess",
  "setState",
  "setMode",
  "restore",
  "acquireTrial",
  "releaseTrial",
] as const;

function assertStorage(storage: unknown): asserts storage is CircuitBreakerStorage {
  if (typeof storage !== "object" || storage === null) {
    throw new TypeError(
      `storage must implement CircuitBreakerStorage, got ${describeValue(storage)}`,
    );
  }
  for (const method of storageMethods) {
    if (typeof (storage as Partial<CircuitBreakerStorage>)[method] !== "function") {
      throw new TypeError(
        `storage must implement CircuitBreakerStorage, got ${describeValue(storage)} without a ${method}() method`,
      );
    }
  }
  for (const method of ["subscribe", "shareWindow", "close"] as const) {
    const value = (storage as Partial<CircuitBreakerStorage>)[method];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(
        `storage.${method} must be a function when present, got ${describeValue(value)}`,
      );
    }
  }
  const state = (storage as Partial<CircuitBreakerStorage>).state;
  if (!isCircuitBreakerState(state)) {
    throw new TypeError(
      `storage.state must be "closed", "open" or "half-open", got ${describeValue(state)}`,
    );
  }
  const mode = (storage as Partial<CircuitBreakerStorage>).mode;
  if (!isCircuitBreakerMode(mode)) {
    throw new TypeError(
      `storage.mode must be "enabled", "disabled" or "forced-open", got ${describeValue(mode)}`,
    );
  }
}
