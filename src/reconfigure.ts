import type { BreakerCore } from "./breaker-core.js";
import { assertOptionNames, reconfigurable, type ReconfigurableOptions } from "./options.js";
import { createWindow } from "./outcome-window.js";
import { resolveSettings } from "./settings.js";
import { CircuitBreakerState } from "./state.js";
import { reshapeWindow } from "./window-snapshot.js";

const { OPEN } = CircuitBreakerState;

/**
 * Applies `options` to a live breaker (see `CircuitBreaker.reconfigure`): all or nothing, since
 * every value is validated before anything changes; keeps the state, counters, window contents
 * (reshaped when the window changes) and the current opening's length.
 */
export function reconfigureCore(core: BreakerCore, options: ReconfigurableOptions): void {
  assertOptionNames(options, reconfigurable, "reconfigure");
  const given: Record<string, unknown> = { ...core.given };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) Reflect.deleteProperty(given, key);
    else given[key] = value;
  }
  const settings = resolveSettings(given);
  let window = core.window;
  if (settings.window === undefined) window = undefined;
  else if (!sameWindow(settings.window, core.settings.window)) {
    window =
      window === undefined
        ? createWindow(settings.window)
        : reshapeWindow(window, settings.window, core.clock.now());
  }
  const previous = core.settings.resetTimeout;
  if (
    typeof previous === "number" &&
    typeof settings.resetTimeout === "function" &&
    core.storage.state === OPEN &&
    core.storage.openDuration === undefined
  ) {
    // Opened under the number: switching to a backoff must not end this opening early.
    core.pinOpenDuration(previous);
  }
  const addedSlots = settings.halfOpenMaxCalls - core.settings.halfOpenMaxCalls;
  core.given = given;
  core.settings = settings;
  core.setWindow(window);
  core.refreshEpoch();
  // New trial slots are free at once: as many queued callers may take them.
  if (addedSlots > 0) {
    const wakes = Math.min(addedSlots, Math.max(1, core.queued));
    for (let wake = 0; wake < wakes; wake++) core.wakeOne();
  }
}

function sameWindow(a: object, b: object | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
