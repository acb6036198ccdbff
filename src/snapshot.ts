import type { CircuitBreakerStats } from "./call-stats.js";
import { describeValue } from "./describe.js";
import { isCircuitBreakerMode, CircuitBreakerMode } from "./mode.js";
import { CircuitBreakerState, isCircuitBreakerState } from "./state.js";
import type { StoredCircuitState } from "./storage.js";
import type { WindowSnapshot } from "./outcome-window.js";

/** What the failure-rate window holds; all zero without a window. */
export interface CircuitBreakerMetrics {
  /** Calls recorded in the window. */
  readonly calls: number;
  /** Failed calls in the window. */
  readonly failures: number;
  /** Slow calls in the window (failed or not). */
  readonly slowCalls: number;
  /** `failures / calls` in percent; 0 when empty. */
  readonly failureRate: number;
  /** `slowCalls / calls` in percent; 0 when empty. */
  readonly slowCallRate: number;
}

/**
 * A breaker as plain JSON (`breaker.toJSON()`): for dashboards, logs, and to start another
 * breaker from (`initialState`), e.g. across a restart or between serverless invocations.
 */
export interface CircuitBreakerSnapshot {
  /** The breaker's name; informational, ignored on restore. */
  readonly name?: string | undefined;
  /** The state; open while forced open. */
  readonly state: CircuitBreakerState;
  /** `"forced-open"` only with `state` `"open"`, as `forceOpen()` leaves it. */
  readonly mode?: CircuitBreakerMode | undefined;
  /** Consecutive failures. */
  readonly failCounter?: number | undefined;
  /** Consecutive successes while half-open; 0 in any other state. */
  readonly successCounter?: number | undefined;
  /** Epoch ms of the last opening; required with `retryAt`. Open without either: trial next. */
  readonly openedAt?: number | undefined;
  /** Epoch ms at which an open breaker admits its next trial; only with `state` `"open"`. */
  readonly retryAt?: number | undefined;
  /** Openings since last closed (the backoff attempt). */
  readonly openAttempts?: number | undefined;
  /** The window's contents, when the breaker has one. */
  readonly window?: WindowSnapshot | undefined;
  /** What the window holds; informational, ignored on restore. */
  readonly metrics?: CircuitBreakerMetrics | undefined;
  /**
   * Open with `retryAt` passed: the next call will be a trial. The state stays `"open"` until that
   * call comes (the breaker moves lazily, holding no timer). Informational, ignored on restore.
   */
  readonly nextCallIsTrial?: boolean | undefined;
  /** The breaker's call counts since it was created; informational, ignored on restore. */
  readonly stats?: CircuitBreakerStats | undefined;
}

/** A checked snapshot, ready for a storage's `restore`. */
export interface RestoredSnapshot {
  readonly stored: StoredCircuitState;
  readonly mode: CircuitBreakerMode;
  readonly window: unknown;
}

/**
 * Checks a snapshot from `toJSON()` (perhaps after a JSON round trip) and names what is wrong.
 * Beyond each field's type, a snapshot must be one a breaker can be in: mode `"forced-open"`
 * only with state `"open"`, `retryAt` only with state `"open"` and `openedAt`, and not before
 * `openedAt`; `openedAt` from 0 (as `CircuitMemoryStorage` takes it) to `now`, the restoring
 * breaker's time.
 */
export function parseSnapshot(value: unknown, now: number): RestoredSnapshot {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `initialState must be an object from toJSON(), got ${describeValue(value)}`,
    );
  }
  const given = value as Record<string, unknown>;
  const state = given["state"];
  if (!isCircuitBreakerState(state)) {
    throw new TypeError(
      `initialState.state must be "closed", "open" or "half-open", got ${describeValue(state)}`,
    );
  }
  const mode = given["mode"] ?? CircuitBreakerMode.ENABLED;
  if (!isCircuitBreakerMode(mode)) {
    throw new TypeError(
      `initialState.mode must be "enabled", "disabled" or "forced-open", got ${describeValue(mode)}`,
    );
  }
  const failCounter = count(given, "failCounter");
  const successCounter = count(given, "successCounter");
  const openAttempts = count(given, "openAttempts");
  const openedAt = time(given, "openedAt");
  if (openedAt !== undefined && openedAt < 0) {
    throw new RangeError(`initialState.openedAt must be epoch ms >= 0, got ${String(openedAt)}`);
  }
  // An opening dated after now would hold the breaker open for longer than its own duration.
  if (openedAt !== undefined && openedAt > now) {
    throw new RangeError(
      `initialState.openedAt (${String(openedAt)}) is after the breaker's clock.now() (${String(now)}): a breaker cannot have opened in the future`,
    );
  }
  const retryAt = time(given, "retryAt");
  if (retryAt !== undefined && openedAt !== undefined && retryAt < openedAt) {
    throw new RangeError(
      `initialState.retryAt (${String(retryAt)}) is before initialState.openedAt (${String(openedAt)})`,
    );
  }
  const open = state === CircuitBreakerState.OPEN;
  // forceOpen() always leaves the state open: a forced-open breaker that says "closed" would
  // reject every call while reporting itself healthy.
  if (mode === CircuitBreakerMode.FORCED_OPEN && !open) {
    throw new TypeError(
      `initialState.mode "forced-open" needs initialState.state "open" (forceOpen() opens the breaker), got ${describeValue(state)}`,
    );
  }
  // An open breaker's wait is measured from openedAt: retryAt alone cannot be restored. Open
  // with neither is a storage made open without a time, whose next call is a trial.
  if (open && openedAt === undefined && retryAt !== undefined) {
    throw new TypeError(
      `initialState.openedAt is required with initialState.retryAt ${String(retryAt)} (epoch ms of the opening, as toJSON() records it), got ${describeValue(given["openedAt"])}`,
    );
  }
  // Only an open breaker waits: a retryAt on any other state would be dropped without a word.
  if (!open && retryAt !== undefined) {
    throw new TypeError(
      `initialState.retryAt applies only to state "open", got retryAt ${String(retryAt)} with state ${describeValue(state)}`,
    );
  }
  const windowSnapshot = given["window"] ?? undefined;
  if (
    windowSnapshot !== undefined &&
    (typeof windowSnapshot !== "object" || Array.isArray(windowSnapshot))
  ) {
    throw new TypeError(
      `initialState.window must be a window snapshot from toJSON(), got ${describeValue(windowSnapshot)}`,
    );
  }
  const closed = state === CircuitBreakerState.CLOSED;
  return {
    stored: {
      state,
      failCounter,
      successCounter: state === CircuitBreakerState.HALF_OPEN ? successCounter : 0,
      openedAt: closed ? undefined : openedAt,
      // The saved retryAt fixes this opening's length, whatever the new breaker's resetTimeout.
      openDuration:
        closed || openedAt === undefined || retryAt === undefined ? undefined : retryAt - openedAt,
      openAttempts: closed ? 0 : openAttempts,
    },
    mode,
    window: windowSnapshot,
  };
}

function count(given: Record<string, unknown>, key: string): number {
  const value = given[key] ?? 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`initialState.${key} must be an integer >= 0, got ${describeValue(value)}`);
  }
  return value;
}

function time(given: Record<string, unknown>, key: string): number | undefined {
  const value = given[key] ?? undefined;
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`initialState.${key} must be epoch ms, got ${describeValue(value)}`);
  }
  return value;
}
