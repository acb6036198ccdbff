/**
 * The three states of a circuit breaker, as a frozen object of string values.
 *
 * @example
 * ```ts
 * if (breaker.state === CircuitBreakerState.OPEN) console.log("degraded");
 * ```
 */
export const CircuitBreakerState = Object.freeze({
  /** Calls run and their failures are counted. */
  CLOSED: "closed",
  /** Calls are rejected without running until `retryAt`; the first call after it is a trial. */
  OPEN: "open",
  /** Trial calls run: enough successes close the breaker, one failure re-opens it. */
  HALF_OPEN: "half-open",
} as const);

/** One of `"closed"`, `"open"` or `"half-open"`. */
export type CircuitBreakerState = (typeof CircuitBreakerState)[keyof typeof CircuitBreakerState];

const states: ReadonlySet<unknown> = new Set(Object.values(CircuitBreakerState));

/** Whether `value` is one of the three state strings. */
export function isCircuitBreakerState(value: unknown): value is CircuitBreakerState {
  return states.has(value);
}
