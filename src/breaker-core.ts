import { monotonicNow } from "./monotonic.js";
import type { CallPolicy } from "./call-policy.js";
import { CallCounters } from "./call-stats.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { Clock } from "./clock.js";
import type { CallHost } from "./controlled-call.js";
import { DeadlineQueue } from "./deadline-queue.js";
import {
  callChannel,
  rejectedChannel,
  stateChangeChannel,
  type CallTraceContext,
} from "./diagnostics.js";
import { createEpoch } from "./epoch.js";
import { ConcurrencyLimitError } from "./call-errors.js";
import { CircuitBreakerError, createRejection, isRaisedBy } from "./errors.js";
import type { ExclusionList } from "./exclusions.js";
import { decideFailure, tripError } from "./failure-event.js";
import {
  COUNTED,
  EXCLUDED,
  OWN_REJECTION,
  TIMED_OUT,
  UNMEASURED,
  type CallGate,
  type Epoch,
  type FailureKind,
} from "./gate.js";
import { runGuarded } from "./guarded-run.js";
import type { CallOutcome, NeutralReason } from "./listener.js";
import type { ListenerSet } from "./listener-set.js";
import { CircuitBreakerMode } from "./mode.js";
import { openDuration } from "./open-duration.js";
import { OpeningTimes } from "./opening-times.js";
import { admit } from "./admission.js";
import type { ReconfigurableOptions } from "./options.js";
import { SLOW, type FailureWindow } from "./outcome-window.js";
import { shareTimeWindow } from "./shared-window.js";
import type { Settings } from "./settings.js";
import { parseSnapshot, type CircuitBreakerSnapshot } from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage, StateChangeCause, TrialOutcome } from "./storage.js";
import { settleValue } from "./settle-value.js";
import { rateVerdict } from "./trip-conditions.js";
import { TRIAL_PENDING, type TrialPending } from "./trial-pending.js";
import { WaitingRoom } from "./waiting-room.js";
import { restoreWindowAs } from "./window-snapshot.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;
const { FORCED_OPEN } = CircuitBreakerMode;
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
 * Calls run under an epoch: the generation, state and mode they were admitted in, with the two
 * promise reactions that settle them, made once per change rather than once per call. A call
 * whose epoch the storage has moved past is late: its caller gets its own outcome, listeners and
 * stats hear of it, and it decides nothing.
 *
 * Every call into the storage is guarded: a storage method that throws goes to
 * `onListenerError(error, "storage")`, and the breaker goes on as if the write had not happened.
 */
export class BreakerCore implements CallGate, CallHost {
  /** The public breaker: what listeners receive and what its rejections are raised by. */
  readonly breaker: CircuitBreaker;
  readonly name: string | undefined;
  readonly storage: CircuitBreakerStorage;
  readonly clock: Clock;
  readonly listeners: ListenerSet;
  readonly exclusions: ExclusionList;
  readonly counters: CallCounters;
  given: ReconfigurableOptions;
  settings: Settings;
  window: FailureWindow | undefined;
  windowNeedsTime = false;
  /** Whether outcomes need durations: a `success`/`failure`/`timeout` hook takes them. */
  needsDurations = false;
  epoch!: Epoch;
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
  /** Made when first asked: a breaker that never opened needs none. */
  #openingTimes: OpeningTimes | undefined;
  /** A trial slot whose release threw, in this generation: given back at the next chance. */
  #owedRelease = -1;

  constructor(breaker: CircuitBreaker, parts: CoreParts) {
    this.breaker = breaker;
    this.name = parts.name;
    this.storage = parts.storage;
    this.clock = parts.clock;
    this.listeners = parts.listeners;
    this.exclusions = parts.exclusions;
    this.given = parts.given;
    this.settings = parts.settings;
    this.counters = new CallCounters(parts.clock.now());
    this.epoch = createEpoch(this, this.storage.generation, this.storage.state, this.storage.mode);
  }

  /** The one timer queue for this breaker's call deadlines, made on first use. */
  get deadlines(): DeadlineQueue {
    return (this.#deadlines ??= new DeadlineQueue());
  }

  /** `"enabled"`, `"disabled"` or `"forced-open"`: the storage's, shared like the state. */
  get mode(): CircuitBreakerMode {
    return this.storage.mode;
  }

  /** The waiting room if one was made (admission reads it without making one). */
  get madeRoom(): WaitingRoom | undefined {
    return this.#room;
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
        this.storageFault(error);
      },
    ));
  }

  /** A storage method threw: the fault goes where listener errors go, never to a caller. */
  storageFault(error: unknown): void {
    this.listeners.report(error, "storage");
  }

  /**
   * Resolves at the next change that may let a refused call in: a state change, a freed trial
   * slot, a change of mode, an answer from a shared storage; at once if one came after `since` (a
   * `changeCount`). Holds no timer; an aborted `signal` rejects.
   */
  nextChange(signal: AbortSignal | undefined, since?: number): Promise<void> {
    // A change another breaker made to a shared storage counts too.
    this.catchUp();
    return this.room.nextChange(signal, since !== undefined && since !== this.changeCount);
  }

  /** The state as the breaker reports it: forced open is open, whatever the storage's state. */
  get reportedState(): CircuitBreakerState {
    return this.mode === FORCED_OPEN ? OPEN : this.storage.state;
  }

  get #openings(): OpeningTimes {
    return (this.#openingTimes ??= new OpeningTimes(this));
  }

  /** When the current opening began; see {@link OpeningTimes.openedAt}. */
  get openedAt(): number | undefined {
    const storage = this.storage;
    return storage.state === OPEN ? this.#openings.openedAt() : storage.openedAt;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open (or forced open). */
  get retryAt(): number | undefined {
    if (this.storage.state !== OPEN || this.mode === FORCED_OPEN) return undefined;
    return this.#openings.retryAt();
  }

  /** Keeps the current opening at `duration` ms whatever `resetTimeout` becomes (reconfigure). */
  pinOpenDuration(duration: number): void {
    this.#openings.pin(duration);
  }

  /** The current epoch if a call may take the shortest path; see `CallGate`. */
  plainEpoch(): Epoch | undefined {
    const epoch = this.epoch;
    return epoch.plain &&
      epoch.generation === this.storage.generation &&
      !callChannel.hasSubscribers
      ? epoch
      : undefined;
  }

  run(
    fn: AnyFunction,
    thisArg: unknown,
    args: unknown[],
    policy: CallPolicy,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return runGuarded(this, fn, thisArg, args, policy, signal);
  }

  settleValue(epoch: Epoch, result: unknown): Promise<unknown> {
    return settleValue(this, epoch, result);
  }

  /** Admits a call, or refuses it and reports the refusal; a pending trial is a refusal here. */
  admitReported(): Epoch | Error {
    let admitted = this.admit(false);
    if (admitted === TRIAL_PENDING) admitted = this.#pendingRefusal();
    if (admitted instanceof Error) this.refuse(admitted);
    return admitted;
  }

  admit(reserved: boolean): Epoch | CircuitBreakerError | TrialPending {
    return admit(this, reserved);
  }

  /** A trial slot a shared storage did not grant in time. */
  #pendingRefusal(): CircuitBreakerError {
    return this.reject(
      `Circuit breaker${this.label()} is half-open and its storage granted no trial slot`,
      undefined,
    );
  }

  /** Resolves when a pending trial slot may have been answered (the storage's announcement). */
  waitForStorage(signal: AbortSignal | undefined): Promise<void> {
    return this.room.nextChange(signal, false);
  }

  pendingRefusal(): CircuitBreakerError {
    return this.#pendingRefusal();
  }

  settleSuccess(
    epoch: Epoch,
    slow: boolean,
    start: number,
    trace?: CallTraceContext,
    excluded = false,
  ): void {
    const outcome: CallOutcome = excluded ? "excluded" : "success";
    if (excluded) this.counters.excluded++;
    else this.counters.successes++;
    if (trace !== undefined) this.#traced(trace, outcome, start);
    const storage = this.storage;
    // A late success (admitted in an earlier generation) is reported but decides nothing.
    if (epoch.generation !== storage.generation) {
      this.catchUp();
      this.#heardSuccess(start, outcome);
      return;
    }
    if (epoch.disabled || epoch.state === CLOSED) {
      if (storage.failCounter !== 0) this.resetFailCounter();
      const window = this.window;
      if (window !== undefined) {
        window.record(this.windowNeedsTime ? this.clock.now() : 0, slow ? SLOW : 0);
      }
      this.#heardSuccess(start, outcome);
      if (slow && !epoch.disabled && storage.generation === epoch.generation) {
        const reason = rateVerdict(this.settings, window);
        if (reason !== undefined) this.trip(this.clock.now(), undefined, "trip", epoch.generation);
      }
      return;
    }
    let trial: TrialOutcome | undefined;
    try {
      trial = storage.recordTrialSuccess(epoch.generation, this.settings.successThreshold);
    } catch (error) {
      this.storageFault(error);
      this.releaseTrialSlot(epoch.generation);
    }
    if (trial?.closed === true) this.sync();
    else this.wakeOne();
    this.#heardSuccess(start, outcome);
  }

  /** A closed-state success after failures: the consecutive count goes back to 0. */
  resetFailCounter(): void {
    try {
      this.storage.resetFailCounter();
    } catch (error) {
      this.storageFault(error);
    }
  }

  #heardSuccess(start: number, outcome: CallOutcome): void {
    if (this.needsDurations) this.listeners.success(this.breaker, this.#info(start, outcome));
  }

  settleFailure(
    epoch: Epoch,
    error: unknown,
    slow: boolean,
    start: number,
    kind: FailureKind = this.classify(error),
    trace?: CallTraceContext,
  ): unknown {
    if (kind === OWN_REJECTION) {
      this.settleNeutral(epoch, undefined, trace);
      return error;
    }
    if (kind === EXCLUDED) {
      this.settleSuccess(epoch, slow, start, trace, true);
      return error;
    }
    const outcome: CallOutcome = kind === TIMED_OUT ? "timeout" : "failure";
    if (kind === TIMED_OUT) this.counters.timeouts++;
    else this.counters.failures++;
    if (trace !== undefined) this.#traced(trace, outcome, start);
    const storage = this.storage;
    if (epoch.generation !== storage.generation) {
      this.catchUp();
      this.heardFailure(error, start, outcome);
      return error;
    }
    return decideFailure(this, epoch, error, slow, start, outcome);
  }

  /** Tells the `failure` hooks, with the call's duration. */
  heardFailure(error: unknown, start: number, outcome: CallOutcome): void {
    if (this.needsDurations)
      this.listeners.failure(this.breaker, error, this.#info(start, outcome));
  }

  /** What the call that tripped the breaker raises. */
  tripped(error: unknown, reason: string): unknown {
    return this.settings.throwNewErrorOnTrip ? tripError(this, error, reason) : error;
  }

  settleNeutral(
    epoch: Epoch,
    reason: NeutralReason | undefined,
    trace?: CallTraceContext,
    counted = true,
  ): void {
    if (counted) this.counters.neutral++;
    if (trace !== undefined) this.#traced(trace, "neutral", UNMEASURED);
    if (epoch.generation !== this.storage.generation) {
      this.catchUp();
    } else if (epoch.state === HALF_OPEN && !epoch.disabled) {
      this.releaseTrialSlot(epoch.generation);
      this.wakeOne();
    }
    if (reason !== undefined) this.listeners.neutral(this.breaker, reason);
  }

  /** Gives back a trial slot; a release that throws is owed, and paid at the next admission. */
  releaseTrialSlot(generation: number): void {
    try {
      this.storage.releaseTrial(generation);
    } catch (error) {
      this.storageFault(error);
      this.#owedRelease = generation;
    }
  }

  /** A release that threw is tried again before the next trial is asked for in its generation. */
  payOwedRelease(generation: number): void {
    if (this.#owedRelease === -1) return;
    const owed = this.#owedRelease;
    this.#owedRelease = -1;
    if (owed === generation) this.releaseTrialSlot(owed);
  }

  #info(start: number, outcome: CallOutcome): { duration: number; outcome: CallOutcome } {
    return { duration: start === UNMEASURED ? NaN : monotonicNow() - start, outcome };
  }

  #traced(trace: CallTraceContext, outcome: CallOutcome, start: number): void {
    trace.outcome = outcome;
    if (start !== UNMEASURED) trace.duration = monotonicNow() - start;
  }

  /** A call's start for its duration, when something takes durations. */
  startTime(): number {
    return this.needsDurations ? monotonicNow() : UNMEASURED;
  }

  isSlow(start: number): boolean {
    const threshold = this.settings.slowCallDuration;
    if (threshold === undefined) return false;
    const duration = this.clock.now() - start;
    if (duration < threshold) return false;
    this.listeners.slow(this.breaker, duration);
    return true;
  }

  /**
   * Opens (or re-opens) now, for as long as the failure, the backoff or `resetTimeout` says;
   * returns whether the storage took it (a shared one may have moved on already).
   */
  trip(now: number, error: unknown, cause: StateChangeCause, generation: number): boolean {
    const attempt = this.storage.openAttempts + 1;
    const duration = openDuration(this.settings, error, now, attempt, (failure, option) => {
      this.listeners.report(failure, option);
    });
    return this.transition(OPEN, now, duration, cause, generation);
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

  /**
   * Asks the storage to move to `state` and follows what it then says; listeners hear of real
   * changes only. Returns whether the storage applied the change.
   */
  transition(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    cause: StateChangeCause,
    generation: number = this.storage.generation,
  ): boolean {
    // Listeners hear of changes from the state they last heard of, so catch up with it first.
    this.catchUp();
    let applied = false;
    try {
      applied = this.storage.setState(state, openedAt, openDuration, { cause, generation });
    } catch (error) {
      this.storageFault(error);
    }
    this.catchUp();
    return applied;
  }

  /** Follows a storage that moved since the current epoch (this breaker, or another one). */
  catchUp(): void {
    if (this.epoch.generation !== this.storage.generation) this.sync();
  }

  /**
   * Starts an epoch for the storage as it is now, wakes everyone waiting, and tells listeners
   * what changed since the last epoch: the mode, then the reported state.
   */
  sync(): Epoch {
    const previous = this.epoch;
    const storage = this.storage;
    const epoch = createEpoch(this, storage.generation, storage.state, storage.mode);
    this.epoch = epoch;
    if (epoch.state === CLOSED && previous.state !== CLOSED) this.window?.clear();
    this.#wakeAll();
    if (previous.mode !== epoch.mode) {
      this.listeners.modeChange(this.breaker, previous.mode, epoch.mode);
    }
    if (previous.reported !== epoch.reported) {
      this.counters.stateChanges++;
      if (stateChangeChannel.hasSubscribers) {
        stateChangeChannel.publish({
          breaker: this.breaker,
          from: previous.reported,
          to: epoch.reported,
        });
      }
      this.listeners.stateChange(this.breaker, previous.reported, epoch.reported);
    }
    return this.epoch;
  }

  /**
   * Rebuilds the current epoch after a change of options or listeners, which decide whether
   * calls may take the shortest path. An epoch the storage has moved past is left for `sync`,
   * which reports the change.
   */
  refreshEpoch(): void {
    const listeners = this.listeners;
    this.needsDurations = listeners.needsDurations;
    const epoch = this.epoch;
    if (epoch.generation === this.storage.generation) {
      this.epoch = createEpoch(this, epoch.generation, epoch.state, epoch.mode);
    }
    // Hooks that hear changes hear other breakers' and processes' too, as they happen.
    if (this.storage.subscribe !== undefined && (listeners.hearsChanges || this.#room)) {
      this.room.watch(listeners.hearsChanges);
    }
  }

  /** Sets the mode in the storage, which starts a new generation: calls admitted before decide nothing. */
  setMode(mode: CircuitBreakerMode): void {
    this.catchUp();
    if (this.storage.mode === mode) return;
    try {
      this.storage.setMode(mode);
    } catch (error) {
      this.storageFault(error);
    }
    this.catchUp();
  }

  /** Uses `window` for rates, or the storage's shared one for a time window if it keeps them. */
  setWindow(window: FailureWindow | undefined): void {
    const spec = this.settings.window;
    const shared =
      window?.kind === "time" && spec !== undefined
        ? shareTimeWindow(this.storage, spec, this.settings, (error) => {
            this.storageFault(error);
          })
        : undefined;
    this.window = shared ?? window;
    this.windowNeedsTime = this.window?.kind === "time";
  }

  /**
   * The storage announced a change (another breaker's, another process's, or this one's own
   * heard late): catch up with a new generation, or let waiters take trial slots given back.
   */
  #storageChanged(): void {
    const storage = this.storage;
    if (this.epoch.generation !== storage.generation) {
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
    // A pending trial's answer may have come with no slot counted free: its waiters ask again.
    if (!woke) {
      this.changeCount++;
      room.notifyChanges();
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
    const now = this.clock.now();
    const restored = parseSnapshot(snapshot, now);
    this.storage.restore({ ...restored.stored, mode: restored.mode });
    const spec = this.settings.window;
    if (spec !== undefined && restored.window !== undefined) {
      this.setWindow(restoreWindowAs(restored.window, spec, now));
    }
    const storage = this.storage;
    this.epoch = createEpoch(this, storage.generation, storage.state, storage.mode);
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

  /** A call refused without running: counted, published and reported. */
  refuse(error: Error): void {
    if (error instanceof ConcurrencyLimitError) this.counters.concurrencyLimited++;
    else this.counters.rejections++;
    if (rejectedChannel.hasSubscribers) rejectedChannel.publish({ breaker: this.breaker, error });
    this.listeners.rejected(this.breaker, error);
  }

  classify(error: unknown): FailureKind {
    if (isRaisedBy(error, this.breaker)) return OWN_REJECTION;
    return this.exclusions.size !== 0 && this.exclusions.excludes(error) ? EXCLUDED : COUNTED;
  }

  timedOut(
    epoch: Epoch,
    error: unknown,
    slow: boolean,
    start: number,
    trace?: CallTraceContext,
  ): unknown {
    if (this.needsDurations)
      this.listeners.timeout(this.breaker, error, this.#info(start, "timeout"));
    return this.settleFailure(epoch, error, slow, start, TIMED_OUT, trace);
  }

  slow(duration: number): void {
    this.listeners.slow(this.breaker, duration);
  }

  /** `halfOpenTimeout` passed: the trial's slot is freed; its outcome will count, late, when it comes. */
  releaseTrial(epoch: Epoch): void {
    this.settleNeutral(epoch, "half-open-timeout", undefined, false);
  }

  /** A fallback is about to run. */
  countFallback(): void {
    this.counters.fallbacks++;
  }

  abandoned(trace: CallTraceContext | undefined): void {
    this.counters.neutral++;
    if (trace !== undefined) trace.outcome = "neutral";
  }
}
