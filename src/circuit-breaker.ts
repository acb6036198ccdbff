import type { ResetTimeoutFunction } from "./exponential-backoff.js";
import type { CallTimeoutError } from "./call-errors.js";
import { systemClock, type Clock } from "./clock.js";
import { callOptionsOf, runControlled, type CallHost } from "./controlled-call.js";
import { DeadlineQueue } from "./deadline-queue.js";
import { describeValue } from "./describe.js";
import {
  CircuitBreakerError,
  createCircuitBreakerError,
  createRejection,
  isRaisedBy,
} from "./errors.js";
import { ExclusionList, type ExcludedException } from "./exclusions.js";
import type { CallGate, Epoch } from "./gate.js";
import type { CircuitBreakerListenerHooks, NeutralReason } from "./listener.js";
import { ListenerSet } from "./listener-set.js";
import { CircuitMemoryStorage } from "./memory-storage.js";
import { CircuitBreakerMode } from "./mode.js";
import {
  assertOptionNames,
  reconfigurable,
  validateOptions,
  type CircuitBreakerOptions,
  type Fallback,
  type ReconfigurableOptions,
} from "./options.js";
import { createProtect, ignoredBy, type Protect } from "./protect.js";
import { resolveSettings, type Settings } from "./settings.js";
import {
  parseSnapshot,
  type CircuitBreakerMetrics,
  type CircuitBreakerSnapshot,
} from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { isThenable } from "./thenable.js";
import { TrialQueue } from "./trial-queue.js";
import { failureVerdict, rateVerdict } from "./trip-conditions.js";
import { openDuration } from "./open-duration.js";
import { waitUntil } from "./wait.js";
import {
  FAILED,
  SLOW,
  createWindow,
  rates,
  restoreWindow,
  type FailureWindow,
} from "./outcome-window.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;
const { ENABLED, DISABLED, FORCED_OPEN } = CircuitBreakerMode;
type AnyFunction = (...args: never[]) => unknown;

/**
 * A circuit breaker: counts the failures of the calls it guards (consecutively, or as a rate over
 * a window), opens when they cross a threshold, rejects calls while open, and after its reset
 * timeout lets trial calls through to decide whether to close again. Time is read from the clock
 * when it matters; the only timer is the one `callTimeout` needs while a call runs.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: "db", failMax: 5, resetTimeout: 30_000 });
 * const user = await breaker.call(db.findUser, id);
 * const findUser = breaker.protect(db.findUser);
 * ```
 */
export class CircuitBreaker {
  readonly #name: string | undefined;
  readonly #storage: CircuitBreakerStorage;
  readonly #clock: Clock;
  readonly #listeners: ListenerSet;
  readonly #exclusions: ExclusionList;
  #given: ReconfigurableOptions;
  #settings: Settings;
  #window: FailureWindow | undefined;
  #windowNeedsTime = false;
  #mode: CircuitBreakerMode = ENABLED;
  #epoch: Epoch | undefined;
  #gate: CallGate | undefined;
  #host: CallHost | undefined;
  #protect: Protect | undefined;
  #deadlines: DeadlineQueue | undefined;
  #queue: TrialQueue | undefined;
  #reserved = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    validateOptions(options);
    const given: ReconfigurableOptions = {};
    for (const key of reconfigurable) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) (given as Record<string, unknown>)[key] = value;
    }
    this.#settings = resolveSettings(given);
    this.#given = given;
    this.#name = options.name;
    this.#clock = options.clock ?? systemClock;
    this.#storage = options.storage ?? new CircuitMemoryStorage();
    this.#setWindow(
      this.#settings.window === undefined ? undefined : createWindow(this.#settings.window),
    );
    const onListenerError =
      options.onListenerError ??
      ((error: unknown, hook: string) => {
        console.error(`aiobreaker: listener hook ${hook} failed`, error);
      });
    const listeners = new ListenerSet(onListenerError);
    this.#listeners = listeners;
    this.#exclusions = new ExclusionList((error) => {
      listeners.report(error, "exclude");
    });
    for (const entry of options.exclude ?? []) this.#exclusions.add(entry);
    for (const listener of options.listeners ?? []) listeners.add(listener);
    if (options.initialState !== undefined) this.#restore(options.initialState);
    options.monitor?.register(this);
  }

  /** The name given at construction, or `undefined`. */
  get name(): string | undefined {
    return this.#name;
  }

  /** The current state, as the storage holds it. Open stays open until a call after `retryAt`. */
  get state(): CircuitBreakerState {
    return this.#storage.state;
  }

  /** `"enabled"`, `"disabled"` (metrics only) or `"forced-open"`. */
  get mode(): CircuitBreakerMode {
    return this.#mode;
  }

  /** Consecutive failures. */
  get failCounter(): number {
    return this.#storage.failCounter;
  }

  /** Consecutive successes in half-open; 0 in any other state. */
  get successCounter(): number {
    return this.#storage.state === HALF_OPEN ? this.#storage.successCounter : 0;
  }

  /** Consecutive failures that trip; `undefined` when a window decides alone. */
  get failMax(): number | undefined {
    return this.#settings.failMax;
  }

  set failMax(value: number | undefined) {
    this.reconfigure({ failMax: value });
  }

  /** Milliseconds the breaker stays open before a trial, or the backoff function. */
  get resetTimeout(): number | ResetTimeoutFunction {
    return this.#settings.resetTimeout;
  }

  set resetTimeout(value: number | ResetTimeoutFunction) {
    this.reconfigure({ resetTimeout: value });
  }

  /** Successes in half-open needed to close. */
  get successThreshold(): number {
    return this.#settings.successThreshold;
  }

  /** Trial calls admitted at once in half-open. */
  get halfOpenMaxCalls(): number {
    return this.#settings.halfOpenMaxCalls;
  }

  /** When the breaker last opened (epoch ms); `undefined` when closed. */
  get openedAt(): number | undefined {
    return this.#storage.openedAt;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open (or if forced open). */
  get retryAt(): number | undefined {
    const storage = this.#storage;
    if (storage.state !== OPEN || this.#mode === FORCED_OPEN) return undefined;
    const openedAt = storage.openedAt;
    // Open with no recorded opening time: the next call is a trial.
    if (openedAt === undefined) return this.#clock.now();
    const resetTimeout = this.#settings.resetTimeout;
    const duration = storage.openDuration ?? (typeof resetTimeout === "number" ? resetTimeout : 0);
    return openedAt + duration;
  }

  /** Milliseconds until `retryAt`, never negative; `undefined` unless open. */
  get retryAfter(): number | undefined {
    const retryAt = this.retryAt;
    return retryAt === undefined ? undefined : Math.max(0, retryAt - this.#clock.now());
  }

  /** What the failure-rate window holds now (zeros without a window). */
  get metrics(): CircuitBreakerMetrics {
    const window = this.#window;
    if (window === undefined) {
      return { calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 };
    }
    window.advance(this.#clock.now());
    const { calls, failures, slowCalls } = window;
    return { calls, failures, slowCalls, ...rates(window) };
  }

  /** A copy of the listeners, in registration order. */
  get listeners(): readonly CircuitBreakerListenerHooks[] {
    return this.#listeners.all;
  }

  /** A copy of the exclusion entries, in insertion order. */
  get excludedExceptions(): readonly ExcludedException[] {
    return this.#exclusions.entries;
  }

  /**
   * Runs `fn(...args)` through the breaker. Always returns a promise, for synchronous and
   * asynchronous functions alike; rejects with {@link CircuitBreakerError} while open.
   *
   * A last argument that is a plain object with a `signal` key is the call's options: the
   * caller's `AbortSignal` (an abort ends the call at once, neither success nor failure), and
   * with `callTimeout` set, `fn` receives a copy whose `signal` also aborts on the timeout.
   */
  call<Args extends unknown[], Result>(
    fn: (...args: Args) => Result,
    ...args: Args
  ): Promise<Awaited<Result>> {
    const epoch = this.#plainEpoch(args);
    if (
      epoch !== undefined &&
      typeof fn === "function" &&
      (fn as { [ignoredBy]?: unknown })[ignoredBy] !== this &&
      this.#settings.fallback === undefined
    ) {
      // The shortest path, run here so that no other frame of the breaker is on the stack.
      let result: unknown;
      try {
        result = args.length === 0 ? (fn as () => unknown)() : fn(...args);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
        return Promise.reject(this.#settleFailure(epoch, error, false));
      }
      if (result instanceof Promise) {
        return result.then(epoch.onFulfilled, epoch.onRejected) as Promise<Awaited<Result>>;
      }
      return this.#settleValue(epoch, result) as Promise<Awaited<Result>>;
    }
    if (typeof fn !== "function") {
      return Promise.reject(notAFunction("call", fn));
    }
    if ((fn as { [ignoredBy]?: unknown })[ignoredBy] === this) {
      // Already guarded by this breaker: counting it here too would count it twice.
      return Promise.resolve<Awaited<Result>>(fn(...args) as Awaited<Result>);
    }
    return this.#run(fn, undefined, args, this.#settings.fallback) as Promise<Awaited<Result>>;
  }

  /**
   * Runs a synchronous `fn(...args)` through the breaker and returns its result, throwing
   * synchronously. A function that returns a thenable is a `TypeError` (not counted): use `call`.
   * No timeout, signal, concurrency limit or fallback applies: those are for `call`.
   */
  callSync<Args extends unknown[], Result>(fn: (...args: Args) => Result, ...args: Args): Result {
    if (typeof fn !== "function") throw notAFunction("callSync", fn);
    const epoch = this.#admitReported();
    if (epoch instanceof Error) throw epoch;
    this.#listeners.beforeCall(this, fn, args);
    const start = this.#settings.slowCallDuration === undefined ? 0 : this.#clock.now();
    let result: Result;
    try {
      result = fn(...args);
    } catch (error) {
      throw this.#settleFailure(epoch, error, this.#isSlow(start));
    }
    if (isThenable(result)) {
      this.#settleNeutral(epoch, undefined);
      throw new TypeError(
        `callSync got a thenable from ${describeValue(fn)}; use call() for asynchronous functions`,
      );
    }
    this.#settleSuccess(epoch, this.#isSlow(start));
    return result;
  }

  /**
   * Wraps `fn` so that every call goes through this breaker: same parameters, `this` and
   * `name`, returning a promise of `fn`'s result. Generator functions are guarded over their
   * iteration. Also a decorator, standard or legacy: `@breaker.protect`.
   */
  get protect(): Protect {
    return (this.#protect ??= createProtect(this.#callGate(), this));
  }

  /** Opens the breaker now; on an open breaker this restarts the timeout. */
  open(): void {
    this.#trip(this.#clock.now(), undefined);
  }

  /** Closes the breaker and resets its counters and window. */
  close(): void {
    if (this.#storage.state === CLOSED) {
      this.#storage.resetFailCounter();
      this.#window?.clear();
      return;
    }
    this.#transition(CLOSED, undefined, undefined);
  }

  /** Moves the breaker to half-open, keeping its failure count. */
  halfOpen(): void {
    if (this.#storage.state !== HALF_OPEN) this.#transition(HALF_OPEN, undefined, undefined);
  }

  /** Lets every call through, still recording outcomes (metrics only); nothing trips. */
  disable(): void {
    this.#setMode(DISABLED);
  }

  /** Opens the breaker and keeps it open, with no trial call, until `enable()` or `reset()`. */
  forceOpen(): void {
    this.#setMode(FORCED_OPEN);
    if (this.#storage.state !== OPEN) this.#transition(OPEN, this.#clock.now(), undefined);
  }

  /** Back to normal operation from `disable()` or `forceOpen()`, keeping the state. */
  enable(): void {
    this.#setMode(ENABLED);
  }

  /** Back to a fresh breaker: enabled, closed, counters, window and backoff cleared. */
  reset(): void {
    this.#setMode(ENABLED);
    this.close();
  }

  /**
   * Changes options on the live breaker, keeping its state, counters, window contents
   * (reshaped when the window changes) and backoff attempt. All or nothing: a bad value changes
   * nothing. An option given as `undefined` returns to its default.
   */
  reconfigure(options: ReconfigurableOptions): void {
    assertOptionNames(options, reconfigurable, "reconfigure");
    const given: Record<string, unknown> = { ...this.#given };
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) Reflect.deleteProperty(given, key);
      else given[key] = value;
    }
    const settings = resolveSettings(given);
    let window = this.#window;
    if (settings.window === undefined) window = undefined;
    else if (!sameWindow(settings.window, this.#settings.window)) {
      window =
        window === undefined
          ? createWindow(settings.window)
          : window.reshape(settings.window, this.#clock.now());
    }
    this.#given = given;
    this.#settings = settings;
    if (this.#host !== undefined) this.#host.settings = settings;
    this.#setWindow(window);
    this.#refreshEpoch();
  }

  /** The breaker as plain JSON, to watch it or to start another from (`initialState`). */
  toJSON(): CircuitBreakerSnapshot {
    const storage = this.#storage;
    const window = this.#window;
    return {
      name: this.#name,
      state: storage.state,
      mode: this.#mode,
      failCounter: storage.failCounter,
      successCounter: this.successCounter,
      openedAt: storage.openedAt,
      retryAt: this.retryAt,
      openAttempts: storage.openAttempts,
      window: window?.toJSON(),
      metrics: this.metrics,
    };
  }

  /** Resolves once the clock reaches `retryAt` (at once unless open); an aborted signal rejects. */
  waitUntilRetry(signal?: AbortSignal): Promise<void> {
    return waitUntil(this.#clock, () => this.retryAt, signal);
  }

  /** Adds a listener at the end of the list. */
  addListener(listener: CircuitBreakerListenerHooks): void {
    this.#listeners.add(listener);
    this.#refreshEpoch();
  }

  /** Adds listeners at the end of the list, in order. */
  addListeners(...listeners: CircuitBreakerListenerHooks[]): void {
    for (const listener of listeners) this.#listeners.add(listener);
    this.#refreshEpoch();
  }

  /** Removes a listener; returns whether it was there. */
  removeListener(listener: CircuitBreakerListenerHooks): boolean {
    const removed = this.#listeners.remove(listener);
    this.#refreshEpoch();
    return removed;
  }

  /** Excludes an error class or predicate from the failure count. */
  addExcludedException(entry: ExcludedException): void {
    this.#exclusions.add(entry);
  }

  /** Excludes several entries, in order. */
  addExcludedExceptions(...entries: ExcludedException[]): void {
    for (const entry of entries) this.#exclusions.add(entry);
  }

  /** Removes an exclusion entry; returns whether it was there. */
  removeExcludedException(entry: ExcludedException): boolean {
    return this.#exclusions.remove(entry);
  }

  /** Whether `error` counts as a failure (it is not excluded). */
  isSystemError(error: unknown): boolean {
    return !this.#exclusions.excludes(error);
  }

  /** The current epoch if calls with `args` may take the shortest path; see `CallGate`. */
  #plainEpoch(args: readonly unknown[]): Epoch | undefined {
    const epoch = this.#epoch;
    return epoch?.plain === true &&
      epoch.generation === this.#storage.generation &&
      (args.length === 0 || callOptionsOf(args) === undefined)
      ? epoch
      : undefined;
  }

  #run(fn: AnyFunction, thisArg: unknown, args: unknown[], fallback: Fallback | undefined) {
    let epoch = this.#epoch;
    const settings = this.#settings;
    if (
      settings.controlled ||
      fallback !== undefined ||
      callOptionsOf(args) !== undefined ||
      ((settings.halfOpenTimeout !== undefined || settings.halfOpenQueueSize !== 0) &&
        epoch?.direct !== true)
    ) {
      return runControlled(this.#callHost(), fn, thisArg, args, fallback);
    }
    if (epoch?.direct !== true || epoch.generation !== this.#storage.generation) {
      const admitted = this.#admitReported();
      if (admitted instanceof Error) return Promise.reject(admitted);
      epoch = admitted;
    }
    if (this.#listeners.hasBeforeCall) this.#listeners.beforeCall(this, fn, args);
    let result: unknown;
    try {
      result = Reflect.apply(fn, thisArg, args);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
      return Promise.reject(this.#settleFailure(epoch, error, false));
    }
    if (result instanceof Promise) return result.then(epoch.onFulfilled, epoch.onRejected);
    return this.#settleValue(epoch, result);
  }

  /** Settles a call whose function returned something other than a native promise. */
  #settleValue(epoch: Epoch, result: unknown): Promise<unknown> {
    if (isThenable(result)) {
      return Promise.resolve(result).then(epoch.onFulfilled, epoch.onRejected);
    }
    this.#settleSuccess(epoch, false);
    return Promise.resolve(result);
  }

  #admitReported(): Epoch | Error {
    const admitted = this.#admit(false);
    if (admitted instanceof Error) this.#listeners.rejected(this, admitted);
    return admitted;
  }

  #admit(reserved: boolean): Epoch | CircuitBreakerError {
    if (this.#mode === FORCED_OPEN) {
      return this.#reject(`Circuit breaker${this.#label()} is forced open`, undefined);
    }
    const storage = this.#storage;
    let epoch = this.#epoch;
    if (epoch?.generation !== storage.generation) epoch = this.#sync();
    if (epoch.direct) return epoch;
    if (epoch.state === OPEN) {
      const retryAt = this.retryAt;
      if (retryAt !== undefined && this.#clock.now() < retryAt) {
        return this.#reject(`Circuit breaker${this.#label()} is open`, retryAt);
      }
      epoch = this.#transition(HALF_OPEN, undefined, undefined);
    }
    const limit = this.#settings.halfOpenMaxCalls;
    if (reserved) this.#reserved = Math.max(0, this.#reserved - 1);
    // Woken waiters hold their slots; newcomers queue behind anyone already waiting.
    const waiting = reserved ? 0 : this.#reserved + (this.#queue?.length ?? 0);
    if (waiting < limit && storage.acquireTrial(epoch.generation, limit - waiting)) return epoch;
    return this.#reject(
      `Circuit breaker${this.#label()} is half-open with all ${String(limit)} trial slots taken`,
      undefined,
    );
  }

  #settleSuccess(epoch: Epoch, slow: boolean): void {
    const storage = this.#storage;
    // A late success (admitted in an earlier generation) is reported but decides nothing.
    if (epoch.generation !== storage.generation) {
      this.#listeners.success(this);
      return;
    }
    if (epoch.disabled || epoch.state === CLOSED) {
      if (storage.failCounter !== 0) storage.resetFailCounter();
      const window = this.#window;
      if (window !== undefined) {
        window.record(this.#windowNeedsTime ? this.#clock.now() : 0, slow ? SLOW : 0);
      }
      this.#listeners.success(this);
      if (slow && !epoch.disabled && storage.generation === epoch.generation) {
        if (rateVerdict(this.#settings, this.#window) !== undefined) {
          this.#trip(this.#clock.now(), undefined);
        }
      }
      return;
    }
    storage.releaseTrial(epoch.generation);
    if (storage.incrementSuccessCounter() >= this.#settings.successThreshold) {
      this.#transition(CLOSED, undefined, undefined);
    } else {
      this.#wakeWaiter();
    }
    this.#listeners.success(this);
  }

  #settleFailure(epoch: Epoch, error: unknown, slow: boolean): unknown {
    if (isRaisedBy(error, this)) {
      this.#settleNeutral(epoch, undefined);
      return error;
    }
    if (this.#exclusions.size !== 0 && this.#exclusions.excludes(error)) {
      this.#settleSuccess(epoch, slow);
      return error;
    }
    const storage = this.#storage;
    if (epoch.generation !== storage.generation) {
      this.#listeners.failure(this, error);
      return error;
    }
    const closed = epoch.disabled || epoch.state === CLOSED;
    const count = storage.incrementFailCounter();
    if (closed && this.#window !== undefined) {
      this.#window.record(
        this.#windowNeedsTime ? this.#clock.now() : 0,
        slow ? FAILED | SLOW : FAILED,
      );
    }
    this.#listeners.failure(this, error);
    // A listener may have changed the state meanwhile; then this failure no longer decides.
    if (storage.generation !== epoch.generation || epoch.disabled) return error;
    let reason: string | undefined = "re-opened: a trial call failed";
    if (closed) {
      reason = failureVerdict(this.#settings, count, this.#window);
      if (reason === undefined) return error;
    }
    this.#trip(this.#clock.now(), error);
    if (!this.#settings.throwNewErrorOnTrip) return error;
    return createCircuitBreakerError(this, `Circuit breaker${this.#label()} ${reason}`, {
      breaker: this.#name,
      state: OPEN,
      retryAt: this.retryAt,
      cause: error,
      clock: this.#clock,
    });
  }

  #settleNeutral(epoch: Epoch, reason: NeutralReason | undefined): void {
    if (
      epoch.state === HALF_OPEN &&
      !epoch.disabled &&
      epoch.generation === this.#storage.generation
    ) {
      this.#storage.releaseTrial(epoch.generation);
      this.#wakeWaiter();
    }
    if (reason !== undefined) this.#listeners.neutral(this, reason);
  }

  #isSlow(start: number): boolean {
    const threshold = this.#settings.slowCallDuration;
    if (threshold === undefined) return false;
    const duration = this.#clock.now() - start;
    if (duration < threshold) return false;
    this.#listeners.slow(this, duration);
    return true;
  }

  /** Opens (or re-opens) now, for as long as the failure, the backoff or `resetTimeout` says. */
  #trip(now: number, error: unknown): void {
    const attempt = this.#storage.openAttempts + 1;
    const duration = openDuration(this.#settings, error, now, attempt, (failure, option) => {
      this.#listeners.report(failure, option);
    });
    this.#transition(OPEN, now, duration);
  }

  #reject(message: string, retryAt: number | undefined): CircuitBreakerError {
    return createRejection(this, message, {
      breaker: this.#name,
      state: this.#storage.state,
      retryAt,
      clock: this.#clock,
    });
  }

  /** Moves the storage to `state` and starts a new epoch; listeners hear of real changes only. */
  #transition(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
  ): Epoch {
    const storage = this.#storage;
    const from = storage.state;
    storage.setState(state, openedAt, openDuration);
    const epoch = this.#makeEpoch(storage.generation, state);
    this.#epoch = epoch;
    if (state === CLOSED) this.#window?.clear();
    this.#reserved = 0;
    this.#queue?.wakeAll();
    if (from !== state) this.#listeners.stateChange(this, from, state);
    return epoch;
  }

  /** Catches up with a storage that changed under this breaker (another breaker, another process). */
  #sync(): Epoch {
    const previous = this.#epoch;
    const storage = this.#storage;
    const epoch = this.#makeEpoch(storage.generation, storage.state);
    this.#epoch = epoch;
    this.#reserved = 0;
    this.#queue?.wakeAll();
    if (previous !== undefined && previous.state !== epoch.state) {
      if (epoch.state === CLOSED) this.#window?.clear();
      this.#listeners.stateChange(this, previous.state, epoch.state);
    }
    return epoch;
  }

  #makeEpoch(generation: number, state: CircuitBreakerState): Epoch {
    const disabled = this.#mode === DISABLED;
    const direct = disabled || (this.#mode === ENABLED && state === CLOSED);
    const settings = this.#settings;
    const epoch: Epoch = {
      generation,
      state,
      disabled,
      direct,
      plain:
        direct &&
        !settings.controlled &&
        settings.fallback === undefined &&
        !this.#listeners.hasBeforeCall,
      onFulfilled: (value) => {
        this.#settleSuccess(epoch, false);
        return value;
      },
      onRejected: (error) => {
        throw this.#settleFailure(epoch, error, false);
      },
    };
    return epoch;
  }

  /**
   * Rebuilds the current epoch after a change of options or listeners, which decide whether
   * calls may take the shortest path. An epoch the storage has moved past is left for `#sync`,
   * which reports the state change.
   */
  #refreshEpoch(): void {
    const epoch = this.#epoch;
    if (epoch?.generation === this.#storage.generation) {
      this.#epoch = this.#makeEpoch(epoch.generation, epoch.state);
    }
  }

  #setMode(mode: CircuitBreakerMode): void {
    const from = this.#mode;
    this.#mode = mode;
    const storage = this.#storage;
    this.#epoch = this.#makeEpoch(storage.generation, storage.state);
    if (from !== mode) {
      this.#queue?.wakeAll();
      this.#listeners.modeChange(this, from, mode);
    }
  }

  #setWindow(window: FailureWindow | undefined): void {
    this.#window = window;
    this.#windowNeedsTime = window?.kind === "time";
  }

  #wakeWaiter(): void {
    const queue = this.#queue;
    if (queue !== undefined && queue.length !== 0 && queue.wakeOne()) this.#reserved++;
  }

  #restore(snapshot: CircuitBreakerSnapshot): void {
    const restored = parseSnapshot(snapshot);
    const now = this.#clock.now();
    this.#storage.restore(restored.stored);
    this.#mode = restored.mode;
    const spec = this.#settings.window;
    if (spec !== undefined && restored.window !== undefined) {
      this.#setWindow(restoreWindow(restored.window, now).reshape(spec, now));
    }
    this.#epoch = this.#makeEpoch(this.#storage.generation, this.#storage.state);
  }

  #callGate(): CallGate {
    return (this.#gate ??= {
      admit: () => this.#admitReported(),
      beforeCall: (fn, args) => {
        this.#listeners.beforeCall(this, fn, args);
      },
      settleSuccess: (epoch) => {
        this.#settleSuccess(epoch, false);
      },
      settleFailure: (epoch, error) => this.#settleFailure(epoch, error, false),
      settleNeutral: (epoch, reason) => {
        this.#settleNeutral(epoch, reason);
      },
      plainEpoch: (args) => this.#plainEpoch(args),
      settleValue: (epoch, result) => this.#settleValue(epoch, result),
      run: (fn, thisArg, args, fallback) =>
        this.#run(fn, thisArg, args, fallback ?? this.#settings.fallback),
    });
  }

  #callHost(): CallHost {
    if (this.#host !== undefined) return this.#host;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's methods reach back into this breaker
    const breaker = this;
    const host: CallHost = {
      settings: this.#settings,
      name: this.#name,
      clock: this.#clock,
      get deadlines() {
        return (breaker.#deadlines ??= new DeadlineQueue());
      },
      active: 0,
      admit: (reserved) => this.#admit(reserved),
      enqueue: (refusal, signal) => {
        const size = this.#settings.halfOpenQueueSize;
        if (
          size === 0 ||
          !(refusal instanceof CircuitBreakerError) ||
          refusal.state !== HALF_OPEN
        ) {
          return undefined;
        }
        const queue = (this.#queue ??= new TrialQueue());
        return queue.length < size ? queue.wait(signal) : undefined;
      },
      refuse: (error) => {
        this.#listeners.rejected(this, error);
      },
      beforeCall: (fn, args) => {
        this.#listeners.beforeCall(this, fn, args);
      },
      counts: (error) => !isRaisedBy(error, this) && !this.#exclusions.excludes(error),
      settleSuccess: (epoch, slow) => {
        this.#settleSuccess(epoch, slow);
      },
      settleFailure: (epoch, error, slow) => this.#settleFailure(epoch, error, slow),
      settleNeutral: (epoch, reason) => {
        this.#settleNeutral(epoch, reason);
      },
      timedOut: (epoch, error: CallTimeoutError, slow) => {
        this.#listeners.timeout(this, error);
        return this.#settleFailure(epoch, error, slow);
      },
      slow: (duration) => {
        this.#listeners.slow(this, duration);
      },
      releaseTrial: (epoch) => {
        this.#settleNeutral(epoch, "half-open-timeout");
      },
    };
    return (this.#host = host);
  }

  #label(): string {
    return this.#name === undefined ? "" : ` ${JSON.stringify(this.#name)}`;
  }
}

function sameWindow(a: object, b: object | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function notAFunction(method: string, value: unknown): TypeError {
  return new TypeError(`${method} expects a function, got ${describeValue(value)}`);
}
