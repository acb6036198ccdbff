import type { BreakerCore } from "./breaker-core.js";
import type { CircuitBreakerError } from "./errors.js";
import type { Epoch } from "./gate.js";
import { CircuitBreakerMode } from "./mode.js";
import { CircuitBreakerState } from "./state.js";
import { TRIAL_PENDING, type TrialPending } from "./trial-pending.js";

const { OPEN, HALF_OPEN } = CircuitBreakerState;

/**
 * How often one admission may be decided again because a `stateChange` listener moved the
 * breaker while it was half-opening: enough for any listener that settles, bounded for one that
 * never does.
 */
const ADMISSION_ROUNDS = 4;

/**
 * Admits a call to `core` (the epoch it runs under), refuses it, or answers that a shared
 * storage will say later whether it gets a trial slot. Open past `retryAt` half-opens first.
 * `reserved`: a woken queue waiter's retry, which holds a slot already.
 */
export function admit(
  core: BreakerCore,
  reserved: boolean,
): Epoch | CircuitBreakerError | TrialPending {
  // A woken waiter's reservation ends with this answer, whatever it is.
  const room = core.madeRoom;
  if (reserved && room !== undefined && room.reserved > 0) room.reserved--;
  const storage = core.storage;
  for (let round = 1; ; round++) {
    // Caught up first, so that a refusal records the changes already seen.
    let epoch = core.epoch;
    if (epoch.generation !== storage.generation) epoch = core.sync();
    if (epoch.mode === CircuitBreakerMode.FORCED_OPEN) {
      return core.reject(`Circuit breaker${core.label()} is forced open`, undefined);
    }
    if (epoch.direct) return epoch;
    if (epoch.state === OPEN) {
      const retryAt = core.retryAt;
      if (retryAt !== undefined && core.clock.now() < retryAt) {
        return core.reject(`Circuit breaker${core.label()} is open`, retryAt);
      }
      core.transition(HALF_OPEN, undefined, undefined, "retry", epoch.generation);
      // A stateChange listener may have moved the breaker on: decide on what it is now.
      if (round < ADMISSION_ROUNDS) continue;
      epoch = core.epoch;
      if (epoch.state !== HALF_OPEN || epoch.mode !== CircuitBreakerMode.ENABLED) {
        return core.reject(`Circuit breaker${core.label()} is ${epoch.reported}`, core.retryAt);
      }
    }
    core.payOwedRelease(epoch.generation);
    const limit = core.settings.halfOpenMaxCalls;
    // Woken waiters hold their slots; newcomers queue behind anyone already waiting.
    const waiting = reserved || room === undefined ? 0 : room.reserved + room.queued;
    if (waiting < limit) {
      let granted: boolean | "pending" = false;
      try {
        granted = storage.acquireTrial(
          epoch.generation,
          limit - waiting,
          core.settings.halfOpenTimeout,
        );
      } catch (error) {
        core.storageFault(error);
      }
      if (granted === true) return epoch;
      if (granted === "pending") return TRIAL_PENDING;
    }
    return core.reject(
      `Circuit breaker${core.label()} is half-open with all ${String(limit)} trial slots taken`,
      undefined,
    );
  }
}
