/**
 * Upper bounds, in seconds, of the call-duration histograms of `aiobreaker/prometheus` and
 * `aiobreaker/otel`: from 1 ms to a minute, about three to a decade, so that calls of a few
 * milliseconds and calls of tens of seconds both land in buckets that tell them apart.
 *
 * @example
 * ```ts
 * import { CALL_DURATION_BUCKETS } from "aiobreaker/prometheus";
 * console.log(CALL_DURATION_BUCKETS.at(-1)); // 60
 * ```
 */
export const CALL_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);
