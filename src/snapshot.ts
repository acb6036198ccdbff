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
  readonly name?: string | undefined;
  readonly state: CircuitBreakerState;
  readonly mode?: CircuitBreakerMode | undefined;
  readonly failCounter?: number | undefined;
  readonly successCounter?: number | undefined;
  /** Epoch ms of the last opening. */
  readonly openedAt?: number | undefined;
  /** Epoch ms at which an open breaker admits its next trial. */
  readonly retryAt?: number | undefined;
  /** Openings since last closed (the backoff attempt). */
  readonly openAttempts?: number | undefined;
  /** The window's contents, when the breaker has one. */
  readonly window?: WindowSnapshot | undefined;
  /** What the window holds; informational, ignored on restore. */
  readonly metrics?: CircuitBreakerMetrics | undefined;
}

/** A checked snapshot, ready for a storage's `restore`. */
export interface RestoredSnapshot {
  readonly stored: StoredCircuitState;
  readonly mode: CircuitBreakerMode;
  readonly window: unknown;
}

/** Checks a snapshot from `toJSON()` (perhaps after a JSON round trip) and names what is wrong. */
export function parseSnapshot(value: unknown): RestoredSnapshot {
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
  const retryAt = time(given, "retryAt");
  if (retryAt !== undefined && openedAt !== undefined && retryAt < openedAt) {
    throw new RangeError(
      `initialState.retryAt (${String(retryAt)}) is before initialState.openedAt (${String(openedAt)})`,
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
    window: given["window"],
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
