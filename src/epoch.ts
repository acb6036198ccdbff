import type { BreakerCore } from "./breaker-core.js";
import type { Epoch } from "./gate.js";
import { CircuitBreakerMode } from "./mode.js";
import { CircuitBreakerState } from "./state.js";

/**
 * The epoch for one generation of `core`'s storage: which path its calls may take, and the two
 * promise reactions that settle them, made here once per state change rather than once per call.
 */
export function createEpoch(
  core: BreakerCore,
  generation: number,
  state: CircuitBreakerState,
): Epoch {
  const mode = core.mode;
  const disabled = mode === CircuitBreakerMode.DISABLED;
  const direct =
    disabled || (mode === CircuitBreakerMode.ENABLED && state === CircuitBreakerState.CLOSED);
  const settings = core.settings;
  const hasBeforeCall = core.listeners.hasBeforeCall;
  const epoch: Epoch = {
    generation,
    state,
    disabled,
    direct,
    plain: direct && !settings.controlled && settings.fallback === undefined && !hasBeforeCall,
    timed:
      direct &&
      settings.callTimeout !== undefined &&
      settings.slowCallDuration === undefined &&
      settings.maxConcurrentCalls === undefined &&
      settings.fallback === undefined &&
      !hasBeforeCall,
    onFulfilled: (value) => {
      core.pending--;
      core.settleSuccess(epoch, false);
      return value;
    },
    onRejected: (error) => {
      core.pending--;
      throw core.settleFailure(epoch, error, false);
    },
  };
  return epoch;
}
