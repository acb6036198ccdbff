import type { CallOutcome, CircuitBreakerState, CircuitBreakerStats } from "../index.js";

/** Every call outcome, each with the `breaker.stats` count it is read from. */
export const OUTCOME_COUNTS: readonly (readonly [CallOutcome, keyof CircuitBreakerStats])[] = [
  ["success", "successes"],
  ["failure", "failures"],
  ["timeout", "timeouts"],
  ["rejected", "rejections"],
  ["neutral", "neutral"],
  ["excluded", "excluded"],
  ["concurrency_limited", "concurrencyLimited"],
];

/** Every call outcome, in the order exporters list them. */
export const CALL_OUTCOMES: readonly CallOutcome[] = OUTCOME_COUNTS.map(([outcome]) => outcome);

/** The three states, in the order exporters list them. */
export const STATES: readonly CircuitBreakerState[] = ["closed", "open", "half-open"];
