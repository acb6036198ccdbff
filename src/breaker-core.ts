import type { CallTimeoutError } from "./call-errors.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { Clock } from "./clock.js";
import { callOptionsOf, type CallHost } from "./controlled-call.js";
import { createEpoch } from "./epoch.js";
import { runGuarded } from "./guarded-run.js";
import { DeadlineQueue } from "./deadline-queue.js";
import {
  CircuitBreakerError,
  createCircuitBreakerError,
  createRejection,
  isRaisedBy,
} from "./errors.js";
import type { ExclusionList } from "./exclusions.js";
import {
  COUNTED,
  EXCLUDED,
  OWN_REJECTION,
  type CallGate,
  type Epoch,
  type FailureKind,
} from "./gate.js";
import type { NeutralReason } from "./listener.js";
import type { ListenerSet } from "./listener-set.js";
import { CircuitBreakerMode } from "./mode.js";
import { openDuration } from "./open-duration.js";
import type { Fallback, ReconfigurableOptions } from "./options.js";
import { FAILED, SLOW, type FailureWindow } from "./outcome-window.js";
import { restoreWindowAs } from "./window-snapshot.js";
import type { Settings } from "./settings.js";
import { parseSnapshot, type CircuitBreakerSnapshot } from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { adoptThenable, observe } from "./thenable.js";
import { WaitingRoom } from "./waiting-room.js";
import { failureVerdict, rateVerdict } from "./trip-conditions.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;
const { ENABLED, FORCED_OPEN } = CircuitBreakerMode;
type AnyFunction = (...args: never[]) => unknown;

/** What a breaker is made of, fixed at construction. */
export interface CoreParts {
  readonly name: string | undefined;
  readonly storage: CircuitBreakerStorage;
  readonly clock: Clock;
  readonly listeners: ListenerSet;
  readonly exclusions: ExclusionList;
  readonly given: ReconfigurableOptions;
  readonly settings: Settings;
}

/**
 * The state machine behind a {@link CircuitBreaker}: admission, settlement, trips and state
 * changes over the storage, and the call paths that `protect` and controlled calls use. Internal
 * (not exported from the package); the public breaker holds one and reads its fields.
 *
 * Calls run under an epoch: the generation and state they were admitted in, with the two
 * promise reactions that settle them, made once per state change rather than once per call.
 */
export class BreakerCore implements CallGate, CallHost {
  /** The public breaker: what listeners receive and what its rejections are raised by. */
  readonly breaker: CircuitBreaker;
  readonly name: string | undefined;
  readonly storage: CircuitBreakerStorage;
  readonly clock: Clock;
  readonly listeners: ListenerSet;
  readonly exclusions: ExclusionList;
  given: ReconfigurableOptions;
  settings: Settings;
  window: FailureWindow | undefined;
  windowNeedsTime = false;
  mode: CircuitBreakerMode = ENABLED;
  epoch: Epoch | undefined;
  /** Calls whose work has not settled yet (for `maxConcurrentCalls`). */
  active = 0;
  /**
   * Shortest-path calls whose promise has not settled yet: counted where they are handed to the
   * epoch's reactions, uncounted by them. With `active`, what `inFlight` reports.
   */
  pending = 0;
  /**
   * Counts the changes that may let a refused call in (state, trial slot, mode). A rejection
   * records it, so that waiting on it later resolves at once when its change has come already.
   */
  changeCount = 0;
  /** Callers waiting on this breaker (for a trial slot, for its next change); made on first use. */
  #room: WaitingRoom | undefined;
  #deadlines: DeadlineQueue | undefined;
  /** The storage generation `#implied` was computed for (see `#unrecordedDuration`). */
  #impliedFor = -1;
  #implied = 0;

  constructor(breaker: CircuitBreaker, parts: CoreParts) {
    this.breaker = breaker;
    this.name = parts.name;
    this.storage = parts.storage;
    this.clock = parts.clock;
    this.listeners = parts.listeners;
    this.exclusions = parts.exclusions;
    this.given = parts.given;
    this.settings = parts.settings;
  }

  /** The one timer queue for this breaker's call deadlines, made on first use. */
  get deadlines(): DeadlineQueue {
    return (this.#deadlines ??= new DeadlineQueue());
  }

  /** Callers queued for a trial slot (no waiting room is made to answer). */
  get queued(): number {
    return this.#room?.queued ?? 0;
  }

  get room(): WaitingRoom {
    return (this.#room ??= new WaitingRoom(
      this.storage,
      () => {
        this.#storageChanged();
      },
      (error: unknown) => {
        this.listeners.report(error, "storage");
      },
    ));
  }

  /**
   * Resolves at the next change that may let a refused call in: a state change, a freed trial
   * slot, a change of mode; at once if one came after `since` (a `changeCount`). Holds no timer;
   * an aborted `signal` rejects.
   */
  nextChange(signal: AbortSignal | undefined, since?: number): Promise<void> {
    // A change another breaker made to a shared storage counts too.
    this.#catchUp();
    return this.room.nextChange(signal, since !== undefined && since !== this.changeCount);
  }

  /** The state as the breaker reports it: forced open is open, whatever a shared storage says. */
  get reportedState(): CircuitBreakerState {
    return this.mode === FORCED_OPEN ? OPEN : this.storage.state;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open (or forced open). */
  get retryAt(): number | undefined {
    const storage = this.storage;
    if (storage.state !== OPEN || this.mode === FORCED_OPEN) return undefined;
    const openedAt = storage.openedAt;
    // Open with no recorded opening time: the next call is a trial.
    if (openedAt === undefined) return this.clock.now();
    return openedAt + (storage.openDuration ?? this.#unrecordedDuration(openedAt));
  }

  /**
   * The length of an opening whose storage recorded none: the `resetTimeout` number, or the
   * backoff function's answer for the current attempt, asked once per opening so that a
   * jittered answer stays put (opened by another breaker, a storage made open, a restore).
   */
  #unrecordedDuration(openedAt: number): number {
    const resetTimeout = this.settings.resetTimeout;
    if (typeof resetTimeout === "number") return resetTimeout;
    const storage = this.storage;
    if (this.#impliedFor !== storage.generation) {
      this.#impliedFor = storage.generation;
      this.#implied =
        openDuration(
          this.settings,
          undefined,
          openedAt,
          Math.max(1, storage.openAttempts),
          (e, o) => {
            this.listeners.report(e, o);
          },
        ) ?? 0;
    }
    return this.#implied;
  }

  /** Keeps the current opening at `duration` ms whatever `resetTimeout` becomes (reconfigure). */
  pinOpenDuration(duration: number): void {
    this.#impliedFor = this.storage.generation;
    this.#implied = duration;
  }

  /** The current epoch if calls with `args` may take the shortest path; see `CallGate`. */
  plainEpoch(args: readonly unknown[]): Epoch | undefined {
    const epoch = this.epoch;
    return epoch?.plain === true &&
      epoch.generation === this.storage.generation &&
      (args.length === 0 || callOptionsOf(args) === undefined)
      ? epoch
      : undefined;
  }

  /** The whole guarded call; `fallback` defaults to the breaker's own. */
  run(
    fn: AnyFunction,
    thisArg: unknown,
    args: unknown[],
    fallback: Fallback | undefined = this.settings.fallback,
  ): Promise<unknown> {
    return runGuarded(this, fn, thisArg, args, fallback);
  }

  /** Settles a call whose function returned something other than a native promise. */
  settleValue(epoch: Epoch, result: unknown): Promise<unknown> {
    const work = adoptThenable(result);
    if (work !== undefined) {
      const settled = observe(work, epoch.onFulfilled, epoch.onRejected);
      this.pending++;
      return settled;
    }
    this.settleSuccess(epoch, false);
    return Promise.resolve(result);
  }

  admitReported(): Epoch | Error {
    const admitted = this.admit(false);
    if (admitted instanceof Error) this.listeners.rejected(this.breaker, admitted);
    return admitted;
  }

  admit(reserved: boolean): Epoch | CircuitBreakerError {
    // A woken waiter's reservation ends with this answer, whatever it is.
    const room = this.#room;
    if (reserved && room !== undefined && room.reserved > 0) room.reserved--;
    const storage = this.storage;
    let epoch = this.epoch;
    // Caught up first, so that a refusal records the changes already seen.
    if (epoch?.generation !== storage.generation) epoch = this.sync();
    if (this.mode === FORCED_OPEN) {
      return this.reject(`Circuit breaker${this.label()} is forced open`, undefined);
    }
    if (epoch.direct) return epoch;
    if (epoch.state === OPEN) {
      const retryAt = this.retryAt;
      if (retryAt !== undefined && this.clock.now() < retryAt) {
        return this.reject(`Circuit breaker${this.label()} is open`, retryAt);
      }
      epoch = this.transition(HALF_OPEN, undefined, undefined);
    }
    const limit = this.settings.halfOpenMaxCalls;
    // Woken waiters hold their slots; newcomers queue behind anyone already waiting.
    const waiting = reserved || room === undefined ? 0 : room.reserved + room.queued;
    if (waiting < limit && storage.acquireTrial(epoch.generation, limit - waiting)) return epoch;
    return this.reject(
      `Circuit breaker${this.label()} is half-open with all ${String(limit)} trial slots taken`,
      undefined,
    );
  }

  settleSuccess(epoch: Epoch, slow = false): void {
    const storage = this.storage;
    // A late success (admitted in an earlier generation) is reported but decides nothing.
    if (epoch.generation !== storage.generation) {
      this.#catchUp();
      this.listeners.success(this.breaker);
      return;
    }
    if (epoch.disabled || epoch.state === CLOSED) {
      if (storage.failCounter !== 0) storage.resetFailCounter();
      const window = this.window;
      if (window !== undefined) {
        window.record(this.windowNeedsTime ? this.clock.now() : 0, slow ? SLOW : 0);
      }
      this.listeners.success(this.breaker);
      if (slow && !epoch.disabled && storage.generation === epoch.generation) {
        if (rateVerdict(this.settings, this.window) !== undefined) {
          this.trip(this.clock.now(), undefined);
        }
      }
      return;
    }
    storage.releaseTrial(epoch.generation);
    if (storage.incrementSuccessCounter() >= this.settings.successThreshold) {
      this.transition(CLOSED, undefined, undefined);
    } else {
      this.wakeOne();
    }
    this.listeners.success(this.breaker);
  }

  settleFailure(
    epoch: Epoch,
    error: unknown,
    slow = false,
    kind: FailureKind = this.classify(error),
  ): unknown {
    if (kind === OWN_REJECTION) {
      this.settleNeutral(epoch, undefined);
      return error;
    }
    if (kind === EXCLUDED) {
      this.settleSuccess(epoch, slow);
      return error;
    }
    const storage = this.storage;
    if (epoch.generation !== storage.generation) {
      this.#catchUp();
      this.listeners.failure(this.breaker, error);
      return error;
    }
    const closed = epoch.disabled || epoch.state === CLOSED;
    const count = storage.incrementFailCounter();
    if (closed && this.window !== undefined) {
      this.window.record(
        this.windowNeedsTime ? this.clock.now() : 0,
        slow ? FAILED | SLOW : FAILED,
      );
    }
    this.listeners.failure(this.breaker, error);
    // A listener may have changed the state meanwhile; then this failure no longer decides.
    if (storage.generation !== epoch.generation || epoch.disabled) return error;
    let reason: string | undefined = "re-opened: a trial call failed";
    if (closed) {
      reason = failureVerdict(this.settings, count, this.window);
      if (reason === undefined) return error;
    }
    this.trip(this.clock.now(), error);
    if (!this.settings.throwNewErrorOnTrip) return error;
    return createCircuitBreakerError(this.breaker, `Circuit breaker${this.label()} ${reason}`, {
      breaker: this.name,
      state: OPEN,
      retryAt: this.retryAt,
      cause: error,
      clock: this.clock,
    });
  }

  settleNeutral(epoch: Epoch, reason: NeutralReason | undefined): void {
    if (epoch.generation !== this.storage.generation) {
      this.#catchUp();
    } else if (epoch.state === HALF_OPEN && !epoch.disabled) {
      this.storage.releaseTrial(epoch.generation);
      this.wakeOne();
    }
    if (reason !== undefined) this.listeners.neutral(this.breaker, reason);
  }

  isSlow(start: number): boolean {
    const threshold = this.settings.slowCallDuration;
    if (threshold === undefined) return false;
    const duration = this.clock.now() - start;
    if (duration < threshold) return false;
    this.listeners.slow(this.breaker, duration);
    return true;
  }

  /** Opens (or re-opens) now, for as long as the failure, the backoff or `resetTimeout` says. */
  trip(now: number, error: unknown): void {
    const attempt = this.storage.openAttempts + 1;
    const duration = openDuration(this.settings, error, now, attempt, (failure, option) => {
      this.listeners.report(failure, option);
    });
    this.transition(OPEN, now, duration);
  }

  reject(message: string, retryAt: number | undefined): CircuitBreakerError {
    return createRejection(
      this.breaker,
      message,
      { breaker: this.name, state: this.reportedState, retryAt, clock: this.clock },
      // No time to wait for (half-open and full, forced open): the next change is the time.
      retryAt === undefined ? this : undefined,
    );
  }

  /** Moves the storage to `state` and starts a new epoch; listeners hear of real changes only. */
  transition(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
  ): Epoch {
    const storage = this.storage;
    // Listeners hear of changes from the state they last heard of, so catch up with it first.
    this.#catchUp();
    const from = this.reportedState;
    storage.setState(state, openedAt, openDuration);
    const epoch = createEpoch(this, storage.generation, state);
    this.epoch = epoch;
    if (state === CLOSED) this.window?.clear();
    this.#wakeAll();
    const to = this.reportedState;
    if (from !== to) this.listeners.stateChange(this.breaker, from, to);
    return epoch;
  }

  /**
   * A late result found the storage moved on: if this breaker has not seen that yet (another
   * breaker moved a shared storage), catch up now, so its waiters hear of it.
   */
  #catchUp(): void {
    if (this.epoch?.generation !== this.storage.generation) this.sync();
  }

  /** Catches up with a storage that changed under this breaker (another breaker, another process). */
  sync(): Epoch {
    const previous = this.epoch;
    const storage = this.storage;
    const epoch = createEpoch(this, storage.generation, storage.state);
    this.epoch = epoch;
    this.#wakeAll();
    if (previous !== undefined && previous.state !== epoch.state) {
      if (epoch.state === CLOSED) this.window?.clear();
      // Forced open, the breaker stays open whatever the storage does: nothing to tell.
      if (this.mode !== FORCED_OPEN) {
        this.listeners.stateChange(this.breaker, previous.state, epoch.state);
      }
    }
    return epoch;
  }

  /**
   * Rebuilds the current epoch after a change of options or listeners, which decide whether
   * calls may take the shortest path. An epoch the storage has moved past is left for `#sync`,
   * which reports the state change.
   */
  refreshEpoch(): void {
    const epoch = this.epoch;
    if (epoch?.generation === this.storage.generation) {
      this.epoch = createEpoch(this, epoch.generation, epoch.state);
    }
  }

  setMode(mode: CircuitBreakerMode): void {
    // A storage moved by another breaker is reported under the mode it moved in.
    this.#catchUp();
    const from = this.mode;
    const fromState = this.reportedState;
    this.mode = mode;
    const storage = this.storage;
    this.epoch = createEpoch(this, storage.generation, storage.state);
    if (from !== mode) {
      this.#wakeAll();
      this.listeners.modeChange(this.breaker, from, mode);
    }
    // Entering or leaving a forced opening changes the state the breaker reports.
    const toState = this.reportedState;
    if (fromState !== toState) this.listeners.stateChange(this.breaker, fromState, toState);
  }

  setWindow(window: FailureWindow | undefined): void {
    this.window = window;
    this.windowNeedsTime = window?.kind === "time";
  }

  /**
   * The storage announced a change (another breaker's, or this one's own, heard late): catch up
   * with a new generation, or let a waiter take a trial slot given back.
   */
  #storageChanged(): void {
    const storage = this.storage;
    if (this.epoch?.generation !== storage.generation) {
      this.sync();
      return;
    }
    // Announcements may arrive merged: as many queued callers as there are free slots.
    const room = this.room;
    const limit = this.settings.halfOpenMaxCalls;
    let woke = false;
    while (storage.trialCalls + room.reserved < limit && (room.queued !== 0 || !woke)) {
      this.wakeOne();
      woke = true;
    }
  }

  /** A trial slot came free: the oldest queued caller may take it; change waiters retry. */
  wakeOne(): void {
    this.changeCount++;
    this.#room?.wakeOne();
  }

  /** Anything may have changed: everyone retries, and no reservation stands. */
  #wakeAll(): void {
    this.changeCount++;
    this.#room?.wakeAll();
  }

  /** A woken waiter that will not retry (its signal aborted, no concurrency slot) frees its slot. */
  cancelReservation(): void {
    const room = this.#room;
    if (room === undefined || room.reserved === 0) return;
    room.reserved--;
    this.wakeOne();
  }

  restore(snapshot: CircuitBreakerSnapshot): void {
    const restored = parseSnapshot(snapshot);
    const now = this.clock.now();
    this.storage.restore(restored.stored);
    this.mode = restored.mode;
    const spec = this.settings.window;
    if (spec !== undefined && restored.window !== undefined) {
      this.setWindow(restoreWindowAs(restored.window, spec, now));
    }
    this.epoch = createEpoch(this, this.storage.generation, this.storage.state);
  }

  label(): string {
    return this.name === undefined ? "" : ` ${JSON.stringify(this.name)}`;
  }

  // The rest of CallHost: what a controlled call needs beyond admission and settlement.

  beforeCall(fn: AnyFunction, args: readonly unknown[]): void {
    this.listeners.beforeCall(this.breaker, fn, args);
  }

  enqueue(refusal: Error, signal: AbortSignal | undefined): Promise<void> | undefined {
    const size = this.settings.halfOpenQueueSize;
    if (size === 0 || !(refusal instanceof CircuitBreakerError) || refusal.state !== HALF_OPEN) {
      return undefined;
    }
    return this.room.queued < size ? this.room.enqueue(signal) : undefined;
  }

  refuse(error: Error): void {
    this.listeners.rejected(this.breaker, error);
  }

  classify(error: unknown): FailureKind {
    if (isRaisedBy(error, this.breaker)) return OWN_REJECTION;
    return this.exclusions.size !== 0 && this.exclusions.excludes(error) ? EXCLUDED : COUNTED;
  }

  timedOut(epoch: Epoch, error: CallTimeoutError, slow: boolean): unknown {
    this.listeners.timeout(this.breaker, error);
    return this.settleFailure(epoch, error, slow);
  }

  slow(duration: number): void {
    this.listeners.slow(this.breaker, duration);
  }

  releaseTrial(epoch: Epoch): void {
    this.settleNeutral(epoch, "half-open-timeout");
  }
}
