import type { WindowTotals } from "./outcome-window.js";
import type { Settings } from "./settings.js";

/**
 * Why a failure in the closed state trips the breaker, or `undefined` when no condition is met:
 * the consecutive count reached `failMax`, or the window's failure or slow-call rate reached its
 * threshold (once the window holds `minimumCalls`). Any one condition trips.
 */
export function failureVerdict(
  settings: Settings,
  consecutiveFailures: number,
  window: WindowTotals | undefined,
): string | undefined {
  const failMax = settings.failMax;
  if (failMax !== undefined && consecutiveFailures >= failMax) {
    return `opened after ${String(consecutiveFailures)} consecutive failures`;
  }
  return rateVerdict(settings, window);
}

/** Why the window's rates say to trip, or `undefined` (too few calls, rates below thresholds). */
export function rateVerdict(
  settings: Settings,
  window: WindowTotals | undefined,
): string | undefined {
  if (window === undefined || window.calls < settings.minimumCalls) return undefined;
  const { calls, failures, slowCalls } = window;
  const failureThreshold = settings.failureRateThreshold;
  if (failureThreshold !== undefined && failures * 100 >= failureThreshold * calls) {
    return `opened: ${String(failures)} of the last ${String(calls)} calls failed (failureRateThreshold ${String(failureThreshold)}%)`;
  }
  const slowThreshold = settings.slowCallRateThreshold;
  if (slowThreshold !== undefined && slowCalls * 100 >= slowThreshold * calls) {
    return `opened: ${String(slowCalls)} of the last ${String(calls)} calls were slow (slowCallRateThreshold ${String(slowThreshold)}%)`;
  }
  return undefined;
}
