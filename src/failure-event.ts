import type { BreakerCore } from "./breaker-core.js";
import { createCircuitBreakerError } from "./errors.js";
import { openDuration } from "./open-duration.js";
import { CircuitBreakerState } from "./state.js";
import type { FailureRecord } from "./storage.js";

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
