import { describeValue } from "./describe.js";
import type { Settings } from "./settings.js";

/** Where a user function's failure goes: the breaker's `onListenerError`, with the option's name. */
export type DurationErrorReport = (
  error: unknown,
  option: "retryAfterFrom" | "resetTimeout",
) => void;

/** Used when a `resetTimeout` function fails: the breaker must still open for some time. */
const FALLBACK_OPEN_DURATION = 60_000;

/**
 * How long an opening at `now` lasts when it is fixed at the time of opening: what the failure
 * asks for through `retryAfterFrom` (capped at `maxRetryAfter`), else the backoff function's
 * answer for `attempt`. `undefined` when the `resetTimeout` number applies. A user function that
 * throws or returns a non-duration is reported and skipped.
 */
export function openDuration(
  settings: Settings,
  error: unknown,
  now: number,
  attempt: number,
  report: DurationErrorReport,
): number | undefined {
  const retryAfterFrom = settings.retryAfterFrom;
  if (error !== undefined && retryAfterFrom !== undefined) {
    const asked = userDuration("retryAfterFrom", report, () => retryAfterFrom(error, now));
    if (asked !== undefined) return Math.min(asked, settings.maxRetryAfter);
  }
  const resetTimeout = settings.resetTimeout;
  if (typeof resetTimeout !== "function") return undefined;
  return (
    userDuration("resetTimeout", report, () => resetTimeout(attempt, error)) ??
    FALLBACK_OPEN_DURATION
  );
}

function userDuration(
  option: "retryAfterFrom" | "resetTimeout",
  report: DurationErrorReport,
  compute: () => unknown,
): number | undefined {
  let value: unknown;
  try {
    value = compute();
  } catch (error) {
    report(error, option);
    return undefined;
  }
  // An extractor with nothing to say is not an error; a backoff function must answer.
  if (value === undefined && option === "retryAfterFrom") return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  report(
    new TypeError(`${option} must return a finite number of ms >= 0, got ${describeValue(value)}`),
    option,
  );
  return undefined;
}
