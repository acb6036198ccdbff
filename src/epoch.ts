import type { BreakerCore } from "./breaker-core.js";
import { UNMEASURED, type Epoch } from "./gate.js";
import { CircuitBreakerMode } from "./mode.js";
import { CircuitBreakerState } from "./state.js";

/**
 * The epoch for one generation of `core`'s storage: which path its calls may take, and the two
 * promise reactions that settle them, made here once per change rather than once per call.
 */
export function createEpoch(
  core: BreakerCore,
  generation: number,
  state: CircuitBreakerState,
  mode: CircuitBreakerMode,
): Epoch {
  const disabled = mode === CircuitBreakerMode.DISABLED;
  const direct =
    disabled || (mode === CircuitBreakerMode.ENABLED && state === CircuitBreakerState.CLOSED);
  const settings = core.settings;
  const listeners = core.listeners;
  const bare = direct && !listeners.hasBeforeCall;
  const simple = bare && !listeners.needsDurations;
  const storage = core.storage;
  const counters = core.counters;
  const epoch: Epoch = {
    generation,
    state,
    mode,
    reported: mode === CircuitBreakerMode.FORCED_OPEN ? CircuitBreakerState.OPEN : state,
    disabled,
    direct,
    plain: simple && !settings.controlled,
    measured: bare && listeners.needsDurations && !settings.controlled,
    timed:
      simple &&
      settings.callTimeout !== undefined &&
      settings.slowCallDuration === undefined &&
      settings.maxConcurrentCalls === undefined &&
      settings.fallback === undefined &&
      settings.isFailureResult === undefined,
    onFulfilled: disabled
      ? (value) => {
          core.pending--;
          core.settleSuccess(epoch, false, UNMEASURED);
          return value;
        }
      : (value) => {
          core.pending--;
          // The common case in a few steps: current, no window, no hook to tell.
          if (
            storage.generation === generation &&
            core.window === undefined &&
            !core.needsDurations
          ) {
            counters.successes++;
            if (storage.failCounter !== 0) core.resetFailCounter();
          } else {
            core.settleSuccess(epoch, false, UNMEASURED);
          }
          return value;
        },
    onRejected: (error) => {
      core.pending--;
      throw core.settleFailure(epoch, error, false, UNMEASURED);
    },
  };
  return epoch;
}
