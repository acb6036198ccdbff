import type { ResetTimeoutFunction } from "./exponential-backoff.js";
import { describeValue } from "./describe.js";
import type { Fallback, FailureResultPredicate, ReconfigurableOptions } from "./options.js";
import type { RetryAfterExtractor } from "./retry-after-header.js";
import {
  assertBoolean,
  assertDuration,
  assertFunction,
  assertInteger,
  assertPredicate,
} from "./validate.js";
import type { WindowSpec } from "./outcome-window.js";

/**
 * A breaker's reconfigurable options, checked and with defaults applied. A breaker swaps the
 * whole object on `reconfigure`, so a call never sees half of an update.
 */
export interface Settings {
  /** `undefined`: consecutive counting is off (a window was given without `failMax`). */
  readonly failMax: number | undefined;
  readonly resetTimeout: number | ResetTimeoutFunction;
  readonly throwNewErrorOnTrip: boolean;
  readonly successThreshold: number;
  readonly halfOpenMaxCalls: number;
  readonly window: WindowSpec | undefined;
  /** Percent; `undefined` without a window. */
  readonly failureRateThreshold: number | undefined;
  readonly minimumCalls: number;
  readonly slowCallDuration: number | undefined;
  /** Percent; `undefined` unless both a window and `slowCallDuration` are set. */
  readonly slowCallRateThreshold: number | undefined;
  readonly callTimeout: number | undefined;
  readonly halfOpenTimeout: number | undefined;
  readonly halfOpenQueueSize: number;
  readonly maxConcurrentCalls: number | undefined;
  readonly fallback: Fallback | undefined;
  readonly isFailureResult: FailureResultPredicate | undefined;
  readonly retryAfterFrom: RetryAfterExtractor | undefined;
  readonly maxRetryAfter: number;
  /** Whether closed-state calls need per-call control (timers, start times, slots, fallbacks, results judged). */
  readonly controlled: boolean;
}

const DEFAULT_MINIMUM_CALLS = 10;

/** Checks `given` and applies the defaults; every error names the option and the value. */
export function resolveSettings(given: ReconfigurableOptions): Settings {
  const window = given.window;
  if (window !== undefined && (typeof window !== "object" || (window as unknown) === null)) {
    throw new TypeError(
      `window must be { calls } or { duration, buckets }, got ${describeValue(window)}`,
    );
  }
  const failMax = given.failMax ?? (window === undefined ? 5 : undefined);
  if (failMax !== undefined) assertInteger("failMax", failMax, 1);
  const resetTimeout = given.resetTimeout ?? 60_000;
  if (typeof resetTimeout !== "function") assertDuration("resetTimeout", resetTimeout);
  const throwNewErrorOnTrip = given.throwNewErrorOnTrip ?? true;
  assertBoolean("throwNewErrorOnTrip", throwNewErrorOnTrip);
  const successThreshold = given.successThreshold ?? 1;
  assertInteger("successThreshold", successThreshold, 1);
  const halfOpenMaxCalls = given.halfOpenMaxCalls ?? 1;
  assertInteger("halfOpenMaxCalls", halfOpenMaxCalls, 1);

  for (const key of ["failureRateThreshold", "minimumCalls", "slowCallRateThreshold"] as const) {
    if (given[key] !== undefined && window === undefined) {
      throw new TypeError(`${key} needs a window (e.g. window: { calls: 100 }), and none is set`);
    }
  }
  if (given.slowCallRateThreshold !== undefined && given.slowCallDuration === undefined) {
    throw new TypeError("slowCallRateThreshold needs slowCallDuration, and none is set");
  }
  const failureRateThreshold =
    window === undefined ? undefined : (given.failureRateThreshold ?? 50);
  if (failureRateThreshold !== undefined)
    assertPercent("failureRateThreshold", failureRateThreshold);
  const slowCallDuration = given.slowCallDuration;
  if (slowCallDuration !== undefined) assertPositive("slowCallDuration", slowCallDuration);
  const slowCallRateThreshold =
    window === undefined || slowCallDuration === undefined
      ? undefined
      : (given.slowCallRateThreshold ?? 100);
  if (slowCallRateThreshold !== undefined) {
    assertPercent("slowCallRateThreshold", slowCallRateThreshold);
  }
  let minimumCalls = given.minimumCalls ?? DEFAULT_MINIMUM_CALLS;
  assertInteger("minimumCalls", minimumCalls, 1);
  // A count window never holds more than its size: a larger minimum would never be reached.
  if (window !== undefined && "calls" in window && typeof window.calls === "number") {
    minimumCalls = Math.min(minimumCalls, window.calls);
  }

  const callTimeout = given.callTimeout;
  if (callTimeout !== undefined) assertPositive("callTimeout", callTimeout);
  const halfOpenTimeout = given.halfOpenTimeout;
  if (halfOpenTimeout !== undefined) assertPositive("halfOpenTimeout", halfOpenTimeout);
  const halfOpenQueueSize = given.halfOpenQueueSize ?? 0;
  assertInteger("halfOpenQueueSize", halfOpenQueueSize, 0);
  const maxConcurrentCalls = given.maxConcurrentCalls;
  if (maxConcurrentCalls !== undefined) assertInteger("maxConcurrentCalls", maxConcurrentCalls, 1);
  const fallback = given.fallback;
  if (fallback !== undefined) assertFunction("fallback", fallback);
  const isFailureResult = given.isFailureResult;
  if (isFailureResult !== undefined) assertPredicate("isFailureResult", isFailureResult);
  const retryAfterFrom = given.retryAfterFrom;
  if (retryAfterFrom !== undefined) assertFunction("retryAfterFrom", retryAfterFrom);
  const maxRetryAfter = given.maxRetryAfter ?? 300_000;
  assertDuration("maxRetryAfter", maxRetryAfter);

  return {
    failMax,
    resetTimeout,
    throwNewErrorOnTrip,
    successThreshold,
    halfOpenMaxCalls,
    window,
    failureRateThreshold,
    minimumCalls,
    slowCallDuration,
    slowCallRateThreshold,
    callTimeout,
    halfOpenTimeout,
    halfOpenQueueSize,
    maxConcurrentCalls,
    fallback,
    isFailureResult,
    retryAfterFrom,
    maxRetryAfter,
    controlled:
      callTimeout !== undefined ||
      slowCallDuration !== undefined ||
      maxConcurrentCalls !== undefined ||
      fallback !== undefined ||
      isFailureResult !== undefined,
  };
}

function assertPercent(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !(value > 0 && value <= 100)) {
    throw new RangeError(
      `${option} must be a percentage in (0, 100], got ${describeValue(value)}${typeof value === "number" ? "" : ` (${typeof value})`}`,
    );
  }
}

function assertPositive(option: string, value: unknown): asserts value is number {
  assertDuration(option, value);
  if (value === 0) {
    throw new RangeError(`${option} must be a finite number of milliseconds > 0, got 0`);
  }
}
