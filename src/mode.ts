/**
 * How a breaker treats calls, beside its state: `"enabled"` (the state machine decides),
 * `"disabled"` (every call passes; outcomes are still recorded, nothing trips) or
 * `"forced-open"` (every call is rejected, no trial, until `enable()` or `reset()`).
 *
 * @example
 * ```ts
 * breaker.forceOpen(); // maintenance window
 * breaker.mode; // "forced-open"
 * breaker.enable();
 * ```
 */
export const CircuitBreakerMode = Object.freeze({
  /** The state machine decides. */
  ENABLED: "enabled",
  /** Every call runs; outcomes are recorded, nothing trips (`disable()`). */
  DISABLED: "disabled",
  /** Every call is rejected, with no trial, until `enable()` or `reset()` (`forceOpen()`). */
  FORCED_OPEN: "forced-open",
} as const);

/** One of `"enabled"`, `"disabled"` or `"forced-open"`. */
export type CircuitBreakerMode = (typeof CircuitBreakerMode)[keyof typeof CircuitBreakerMode];

const modes: ReadonlySet<unknown> = new Set(Object.values(CircuitBreakerMode));

/** Whether `value` is one of the mode strings. */
export function isCircuitBreakerMode(value: unknown): value is CircuitBreakerMode {
  return modes.has(value);
}
