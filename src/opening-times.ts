import type { Clock } from "./clock.js";
import { openDuration } from "./open-duration.js";
import type { ErrorSource } from "./options.js";
import type { Settings } from "./settings.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";

/** What the opening times are read from: the breaker's storage, clock and settings. */
export interface OpeningHost {
  readonly storage: CircuitBreakerStorage;
  readonly clock: Clock;
  readonly settings: Settings;
  readonly listeners: { report(error: unknown, source: ErrorSource): void };
}

/**
 * When the current opening began and when it ends, as the breaker takes them from its storage:
 * an opening dated after the clock's now is taken to have begun when first seen so, and an
 * opening whose length the storage did not record is given one, once, that stays put.
 */
export class OpeningTimes {
  readonly #host: OpeningHost;
  /** The storage generation `#implied` was computed for. */
  #impliedFor = -1;
  #implied = 0;
  /** The generation whose opening was dated in the future, and the time it is taken as instead. */
  #correctedFor = -1;
  #correctedOpenedAt = 0;

  constructor(host: OpeningHost) {
    this.#host = host;
  }

  /**
   * The storage's `openedAt`, unless that lies ahead of the clock (the clock was set back since,
   * or another host's clock ran ahead): the opening is then taken to have begun when this breaker
   * first saw it so, so that it lasts its own duration rather than until the clock catches up, a
   * day later perhaps.
   */
  openedAt(): number | undefined {
    const { storage, clock } = this.#host;
    const openedAt = storage.openedAt;
    if (openedAt === undefined || storage.state !== CircuitBreakerState.OPEN) return openedAt;
    if (this.#correctedFor === storage.generation) return this.#correctedOpenedAt;
    const now = clock.now();
    if (openedAt <= now) return openedAt;
    this.#correctedFor = storage.generation;
    this.#correctedOpenedAt = now;
    return now;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open. */
  retryAt(): number | undefined {
    const { storage, clock } = this.#host;
    if (storage.state !== CircuitBreakerState.OPEN) return undefined;
    const openedAt = this.openedAt();
    // Open with no recorded opening time: the next call is a trial.
    if (openedAt === undefined) return clock.now();
    return openedAt + (storage.openDuration ?? this.#unrecordedDuration(openedAt));
  }

  /** Keeps the current opening at `duration` ms whatever `resetTimeout` becomes (reconfigure). */
  pin(duration: number): void {
    this.#impliedFor = this.#host.storage.generation;
    this.#implied = duration;
  }

  /**
   * The length of an opening whose storage recorded none: the `resetTimeout` number, or the
   * backoff function's answer for the current attempt, asked once per opening so that a
   * jittered answer stays put (opened by another breaker, a storage made open, a restore).
   */
  #unrecordedDuration(openedAt: number): number {
    const { storage, settings, listeners } = this.#host;
    const resetTimeout = settings.resetTimeout;
    if (typeof resetTimeout === "number") return resetTimeout;
    if (this.#impliedFor !== storage.generation) {
      this.#impliedFor = storage.generation;
      this.#implied =
        openDuration(settings, undefined, openedAt, Math.max(1, storage.openAttempts), (e, o) => {
          listeners.report(e, o);
        }) ?? 0;
    }
    return this.#implied;
  }
}
