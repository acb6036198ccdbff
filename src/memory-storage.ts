import { describeValue } from "./describe.js";
import { CircuitBreakerMode } from "./mode.js";
import { CircuitBreakerState, isCircuitBreakerState } from "./state.js";
import type {
  CircuitBreakerStorage,
  FailureOutcome,
  FailureRecord,
  StateChange,
  StoredCircuitState,
  TrialOutcome,
} from "./storage.js";
import { assertDuration } from "./validate.js";

/**
 * Keeps a breaker's state in memory: the default storage. One instance may back several
 * breakers, which then share one state and see each other's trips.
 *
 * @example
 * ```ts
 * const shared = new CircuitMemoryStorage();
 * const reads = new CircuitBreaker({ name: "db-read", storage: shared });
 * const writes = new CircuitBreaker({ name: "db-write", storage: shared });
 * ```
 */
export class CircuitMemoryStorage implements CircuitBreakerStorage {
  #state: CircuitBreakerState;
  #mode: CircuitBreakerMode = CircuitBreakerMode.ENABLED;
  #failCounter = 0;
  #successCounter = 0;
  #openedAt: number | undefined;
  #openDuration: number | undefined;
  #openAttempts = 0;
  #generation = 0;
  #trialCalls = 0;
  /** Made at the first `subscribe`: most storages are never listened to. */
  #listeners: Set<() => void> | undefined;

  /**
   * @param initialState the state to start in; default `"closed"`.
   * @param openedAt for an `"open"` start, when it opened (epoch ms). Without it, the next call
   * is a trial.
   */
  constructor(initialState: CircuitBreakerState = CircuitBreakerState.CLOSED, openedAt?: number) {
    if (!isCircuitBreakerState(initialState)) {
      throw new TypeError(
        `initialState must be "closed", "open" or "half-open", got ${describeValue(initialState)}`,
      );
    }
    if (openedAt !== undefined) assertDuration("openedAt", openedAt);
    this.#state = initialState;
    this.#openedAt = initialState === CircuitBreakerState.CLOSED ? undefined : openedAt;
  }

  get state(): CircuitBreakerState {
    return this.#state;
  }

  get mode(): CircuitBreakerMode {
    return this.#mode;
  }

  get failCounter(): number {
    return this.#failCounter;
  }

  get successCounter(): number {
    return this.#successCounter;
  }

  get openedAt(): number | undefined {
    return this.#openedAt;
  }

  get openDuration(): number | undefined {
    return this.#openDuration;
  }

  get openAttempts(): number {
    return this.#openAttempts;
  }

  get generation(): number {
    return this.#generation;
  }

  get trialCalls(): number {
    return this.#trialCalls;
  }

  recordFailure(failure: FailureRecord): FailureOutcome {
    const failCounter = ++this.#failCounter;
    const failMax = failure.failMax;
    const tripped =
      failMax !== undefined &&
      failCounter >= failMax &&
      failure.generation === this.#generation &&
      this.#state === CircuitBreakerState.CLOSED &&
      this.#mode === CircuitBreakerMode.ENABLED;
    if (tripped) this.#apply(CircuitBreakerState.OPEN, failure.now, failure.openDuration());
    return { failCounter, tripped };
  }

  resetFailCounter(): void {
    this.#failCounter = 0;
  }

  recordTrialSuccess(generation: number, successThreshold: number): TrialOutcome {
    if (generation !== this.#generation || this.#state !== CircuitBreakerState.HALF_OPEN) {
      return { successCounter: this.#successCounter, closed: false };
    }
    if (this.#trialCalls !== 0) this.#trialCalls--;
    const successCounter = ++this.#successCounter;
    if (successCounter < successThreshold) {
      this.#announce();
      return { successCounter, closed: false };
    }
    this.#apply(CircuitBreakerState.CLOSED, undefined, undefined);
    return { successCounter, closed: true };
  }

  setState(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    change: StateChange,
  ): boolean {
    if (change.cause !== "manual" && change.generation !== this.#generation) return false;
    this.#apply(state, openedAt, openDuration);
    return true;
  }

  setMode(mode: CircuitBreakerMode): void {
    this.#mode = mode;
    this.#generation++;
    this.#trialCalls = 0;
    this.#announce();
  }

  #apply(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
  ): void {
    this.#generation++;
    this.#trialCalls = 0;
    this.#successCounter = 0;
    this.#state = state;
    if (state === CircuitBreakerState.CLOSED) {
      this.#failCounter = 0;
      this.#openedAt = undefined;
      this.#openDuration = undefined;
      this.#openAttempts = 0;
    } else if (state === CircuitBreakerState.OPEN) {
      this.#openedAt = openedAt;
      this.#openDuration = openDuration;
      this.#openAttempts++;
    }
    this.#announce();
  }

  restore(stored: StoredCircuitState): void {
    this.#generation++;
    this.#trialCalls = 0;
    this.#state = stored.state;
    this.#mode = stored.mode ?? CircuitBreakerMode.ENABLED;
    this.#failCounter = stored.failCounter;
    this.#successCounter = stored.successCounter;
    this.#openedAt = stored.openedAt;
    this.#openDuration = stored.openDuration;
    this.#openAttempts = stored.openAttempts;
    this.#announce();
  }

  /** Takes a trial slot if one is free; a memory storage always answers at once, never `"pending"`. */
  acquireTrial(generation: number, limit: number): boolean | "pending" {
    // No lease: a process holds its memory, and a stuck trial is freed by its halfOpenTimeout.
    if (generation !== this.#generation || this.#trialCalls >= limit) return false;
    this.#trialCalls++;
    return true;
  }

  releaseTrial(generation: number): void {
    if (generation !== this.#generation || this.#trialCalls === 0) return;
    this.#trialCalls--;
    this.#announce();
  }

  /**
   * Calls `listener` after every change of state or mode, restore and trial slot given back; returns the
   * function that stops it. A listener that throws does not keep the others from hearing.
   */
  subscribe(listener: () => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(`subscribe expects a function, got ${describeValue(listener)}`);
    }
    // A wrapper per subscription, so the same function subscribed twice ends independently.
    const entry = (): void => {
      listener();
    };
    const listeners = (this.#listeners ??= new Set());
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  }

  #announce(): void {
    const listeners = this.#listeners;
    if (listeners === undefined || listeners.size === 0) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        // One listener's failure is not the writer's: it surfaces on its own, uncaught.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
