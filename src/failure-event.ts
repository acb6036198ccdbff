import type { BreakerCore } from "./breaker-core.js";
import { createCircuitBreakerError } from "./errors.js";
import type { Epoch } from "./gate.js";
import type { CallOutcome } from "./listener.js";
import { openDuration } from "./open-duration.js";
import { FAILED, SLOW } from "./outcome-window.js";
import { CircuitBreakerState } from "./state.js";
import type { FailureRecord } from "./storage.js";
import { rateVerdict } from "./trip-conditions.js";

/**
 * One failure as the storage sees it: the rule it may trip by, and, read only if it does, the
 * time and the length of the opening. Reading the clock and asking the backoff or Retry-After
 * functions waits until a storage needs them.
 */
export class FailureEvent implements FailureRecord {
  readonly generation: number;
  readonly failMax: number | undefined;
  readonly #core: BreakerCore;
  readonly #error: unknown;
  #now: number | undefined;

  constructor(core: BreakerCore, generation: number, failMax: number | undefined, error: unknown) {
    this.#core = core;
    this.generation = generation;
    this.failMax = failMax;
    this.#error = error;
  }

  get now(): number {
    return (this.#now ??= this.#core.clock.now());
  }

  openDuration(): number | undefined {
    const core = this.#core;
    return openDuration(
      core.settings,
      this.#error,
      this.now,
      core.storage.openAttempts + 1,
      (failure, option) => {
        core.listeners.report(failure, option);
      },
    );
  }
}

/** The error the call that tripped `core` raises: a `CircuitBreakerError` whose `cause` is the failure. */
export function tripError(core: BreakerCore, error: unknown, reason: string): unknown {
  return createCircuitBreakerError(core.breaker, `Circuit breaker${core.label()} ${reason}`, {
    breaker: core.name,
    state: CircuitBreakerState.OPEN,
    retryAt: core.retryAt,
    cause: error,
    clock: core.clock,
  });
}

/**
 * Records a counted failure (or timeout) of a call admitted in the current generation and
 * decides what it does: the storage may trip on its count, the breaker on its window's rates; a
 * failed trial re-opens. Returns what the caller gets: the error, or the trip's error.
 */
export function decideFailure(
  core: BreakerCore,
  epoch: Epoch,
  error: unknown,
  slow: boolean,
  start: number,
  outcome: CallOutcome,
): unknown {
  const storage = core.storage;
  const closed = epoch.disabled || epoch.state === CircuitBreakerState.CLOSED;
  const failure = new FailureEvent(
    core,
    epoch.generation,
    closed && !epoch.disabled ? core.settings.failMax : undefined,
    error,
  );
  // Into the window first: a storage that keeps it judges its rates with this failure in.
  const window = core.window;
  if (closed && window !== undefined) {
    window.record(core.windowNeedsTime ? failure.now : 0, slow ? FAILED | SLOW : FAILED);
  }
  let count = storage.failCounter + 1;
  let tripped = false;
  try {
    ({ failCounter: count, tripped } = storage.recordFailure(failure));
  } catch (storageError) {
    core.storageFault(storageError);
  }
  core.heardFailure(error, start, outcome);
  if (tripped) {
    // The storage opened itself; listeners hear of it now, after the failure.
    core.catchUp();
    return core.tripped(error, `opened after ${String(count)} consecutive failures`);
  }
  // A listener may have changed the state meanwhile; then this failure no longer decides.
  if (storage.generation !== epoch.generation || epoch.disabled) return error;
  if (closed) {
    const reason = rateVerdict(core.settings, window);
    if (reason === undefined || !core.trip(failure.now, error, "trip", epoch.generation)) {
      return error;
    }
    return core.tripped(error, reason);
  }
  if (core.trip(failure.now, error, "reopen", epoch.generation)) {
    return core.tripped(error, "re-opened: a trial call failed");
  }
  // Not re-opened (the storage moved on, or failed): the trial's slot must not be lost.
  if (storage.generation === epoch.generation) {
    core.releaseTrialSlot(epoch.generation);
    core.wakeOne();
  }
  return error;
}
