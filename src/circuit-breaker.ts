import { systemClock, type Clock } from "./clock.js";
import { describeValue } from "./describe.js";
import { CircuitBreakerError, createCircuitBreakerError, isRaisedBy } from "./errors.js";
import { ExclusionList, type ExcludedException } from "./exclusions.js";
import type { CallGate, Epoch } from "./gate.js";
import type { CircuitBreakerListenerHooks } from "./listener.js";
import { ListenerSet } from "./listener-set.js";
import { CircuitMemoryStorage } from "./memory-storage.js";
import { validateOptions, type CircuitBreakerOptions } from "./options.js";
import { createProtect, ignoredBy, type Protect } from "./protect.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { isThenable } from "./thenable.js";
import { assertDuration, assertInteger } from "./validate.js";
import { waitUntil } from "./wait.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;

/**
 * A circuit breaker: counts consecutive failures of the calls it guards, opens after `failMax`
 * of them, rejects calls while open, and after `resetTimeout` lets trial calls through to decide
 * whether to close again. It holds no timer: time is read from the clock when it matters.
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
  readonly #throwNewErrorOnTrip: boolean;
  readonly #successThreshold: number;
  readonly #halfOpenMaxCalls: number;
  #failMax: number;
  #resetTimeout: number;
  #epoch: Epoch | undefined;
  #gate: CallGate | undefined;
  #protect: Protect | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    validateOptions(options);
    this.#name = options.name;
    this.#failMax = options.failMax ?? 5;
    this.#resetTimeout = options.resetTimeout ?? 60_000;
    this.#successThreshold = options.successThreshold ?? 1;
    this.#halfOpenMaxCalls = options.halfOpenMaxCalls ?? 1;
    this.#throwNewErrorOnTrip = options.throwNewErrorOnTrip ?? true;
    this.#clock = options.clock ?? systemClock;
    this.#storage = options.storage ?? new CircuitMemoryStorage();
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

  /** Consecutive failures. */
  get failCounter(): number {
    return this.#storage.failCounter;
  }

  /** Consecutive successes in half-open; 0 in any other state. */
  get successCounter(): number {
    return this.#storage.state === HALF_OPEN ? this.#storage.successCounter : 0;
  }

  /** Consecutive failures that trip the breaker; an integer >= 1. */
  get failMax(): number {
    return this.#failMax;
  }

  set failMax(value: number) {
    assertInteger("failMax", value, 1);
    this.#failMax = value;
  }

  /** Milliseconds the breaker stays open before a trial; finite, >= 0. */
  get resetTimeout(): number {
    return this.#resetTimeout;
  }

  set resetTimeout(value: number) {
    assertDuration("resetTimeout", value);
    this.#resetTimeout = value;
  }

  /** Successes in half-open needed to close. */
  get successThreshold(): number {
    return this.#successThreshold;
  }

  /** Trial calls admitted at once in half-open. */
  get halfOpenMaxCalls(): number {
    return this.#halfOpenMaxCalls;
  }

  /** When the breaker last opened (epoch ms); `undefined` when closed. */
  get openedAt(): number | undefined {
    return this.#storage.openedAt;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open. */
  get retryAt(): number | undefined {
    if (this.#storage.state !== OPEN) return undefined;
    const openedAt = this.#storage.openedAt;
    // Open with no recorded opening time: the next call is a trial.
    return openedAt === undefined ? this.#clock.now() : openedAt + this.#resetTimeout;
  }

  /** Milliseconds until `retryAt`, never negative; `undefined` unless open. */
  get retryAfter(): number | undefined {
    const retryAt = this.retryAt;
    return retryAt === undefined ? undefined : Math.max(0, retryAt - this.#clock.now());
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
   */
  call<Args extends unknown[], Result>(
    fn: (...args: Args) => Result,
    ...args: Args
  ): Promise<Awaited<Result>> {
    if (typeof fn !== "function") {
      return Promise.reject(notAFunction("call", fn));
    }
    if ((fn as { [ignoredBy]?: unknown })[ignoredBy] === this) {
      // Already guarded by this breaker: counting it here too would count it twice.
      return Promise.resolve<Awaited<Result>>(fn(...args) as Awaited<Result>);
    }
    return this.#run(fn, undefined, args) as Promise<Awaited<Result>>;
  }

  /**
   * Runs a synchronous `fn(...args)` through the breaker and returns its result, throwing
   * synchronously. A function that returns a thenable is a `TypeError` (not counted): use `call`.
   */
  callSync<Args extends unknown[], Result>(fn: (...args: Args) => Result, ...args: Args): Result {
    if (typeof fn !== "function") throw notAFunction("callSync", fn);
    const epoch = this.#admit();
    if (epoch instanceof CircuitBreakerError) throw epoch;
    this.#listeners.beforeCall(this, fn, args);
    let result: Result;
    try {
      result = fn(...args);
    } catch (error) {
      throw this.#settleFailure(epoch, error);
    }
    if (isThenable(result)) {
      this.#settleNeutral(epoch);
      throw new TypeError(
        `callSync got a thenable from ${describeValue(fn)}; use call() for asynchronous functions`,
      );
    }
    this.#settleSuccess(epoch);
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
    this.#transition(OPEN, this.#clock.now());
  }

  /** Closes the breaker and resets its counters. */
  close(): void {
    if (this.#storage.state === CLOSED) {
      this.#storage.resetFailCounter();
      return;
    }
    this.#transition(CLOSED, undefined);
  }

  /** Moves the breaker to half-open, keeping its failure count. */
  halfOpen(): void {
    if (this.#storage.state !== HALF_OPEN) this.#transition(HALF_OPEN, undefined);
  }

  /** Resolves once the clock reaches `retryAt` (at once unless open); an aborted signal rejects. */
  waitUntilRetry(signal?: AbortSignal): Promise<void> {
    return waitUntil(this.#clock, () => this.retryAt, signal);
  }

  /** Adds a listener at the end of the list. */
  addListener(listener: CircuitBreakerListenerHooks): void {
    this.#listeners.add(listener);
  }

  /** Adds listeners at the end of the list, in order. */
  addListeners(...listeners: CircuitBreakerListenerHooks[]): void {
    for (const listener of listeners) this.#listeners.add(listener);
  }

  /** Removes a listener; returns whether it was there. */
  removeListener(listener: CircuitBreakerListenerHooks): boolean {
    return this.#listeners.remove(listener);
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

  #run(fn: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): Promise<unknown> {
    let epoch = this.#epoch;
    if (epoch?.state !== CLOSED || epoch.generation !== this.#storage.generation) {
      const admitted = this.#admit();
      if (admitted instanceof CircuitBreakerError) return Promise.reject(admitted);
      epoch = admitted;
    }
    if (this.#listeners.hasBeforeCall) this.#listeners.beforeCall(this, fn, args);
    let result: unknown;
    try {
      result = Reflect.apply(fn, thisArg, args);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
      return Promise.reject(this.#settleFailure(epoch, error));
    }
    if (result instanceof Promise) return result.then(epoch.onFulfilled, epoch.onRejected);
    if (isThenable(result))
      return Promise.resolve(result).then(epoch.onFulfilled, epoch.onRejected);
    this.#settleSuccess(epoch);
    return Promise.resolve(result);
  }

  #admit(): Epoch | CircuitBreakerError {
    const storage = this.#storage;
    let epoch = this.#epoch;
    if (epoch?.generation !== storage.generation) epoch = this.#sync();
    if (epoch.state === CLOSED) return epoch;
    if (epoch.state === OPEN) {
      const retryAt = this.retryAt;
      if (retryAt !== undefined && this.#clock.now() < retryAt) {
        return this.#reject(`Circuit breaker${this.#label()} is open`, retryAt);
      }
      epoch = this.#transition(HALF_OPEN, undefined);
    }
    if (storage.acquireTrial(epoch.generation, this.#halfOpenMaxCalls)) return epoch;
    return this.#reject(
      `Circuit breaker${this.#label()} is half-open with all ${String(this.#halfOpenMaxCalls)} trial slots taken`,
      undefined,
    );
  }

  #settleSuccess(epoch: Epoch): void {
    const storage = this.#storage;
    if (epoch.generation === storage.generation) {
      if (epoch.state === CLOSED) {
        if (storage.failCounter !== 0) storage.resetFailCounter();
      } else {
        storage.releaseTrial(epoch.generation);
        if (storage.incrementSuccessCounter() >= this.#successThreshold) {
          this.#transition(CLOSED, undefined);
        }
      }
    }
    // A late success (admitted in an earlier generation) is reported but decides nothing.
    this.#listeners.success(this);
  }

  #settleFailure(epoch: Epoch, error: unknown): unknown {
    if (isRaisedBy(error, this)) {
      this.#settleNeutral(epoch);
      return error;
    }
    if (this.#exclusions.size !== 0 && this.#exclusions.excludes(error)) {
      this.#settleSuccess(epoch);
      return error;
    }
    const storage = this.#storage;
    if (epoch.generation !== storage.generation) {
      this.#listeners.failure(this, error);
      return error;
    }
    const count = storage.incrementFailCounter();
    this.#listeners.failure(this, error);
    // A listener may have changed the state meanwhile; then this failure no longer decides.
    if (storage.generation !== epoch.generation) return error;
    if (epoch.state === CLOSED && count < this.#failMax) return error;
    const now = this.#clock.now();
    const reason =
      epoch.state === CLOSED
        ? `opened after ${String(count)} consecutive failures`
        : "re-opened: a trial call failed";
    this.#transition(OPEN, now);
    if (!this.#throwNewErrorOnTrip) return error;
    return createCircuitBreakerError(this, `Circuit breaker${this.#label()} ${reason}`, {
      breaker: this.#name,
      state: OPEN,
      retryAt: now + this.#resetTimeout,
      cause: error,
      clock: this.#clock,
    });
  }

  #settleNeutral(epoch: Epoch): void {
    if (epoch.state === HALF_OPEN) this.#storage.releaseTrial(epoch.generation);
  }

  /**
   * A rejection is expected control flow, raised by the breaker itself: it carries no stack
   * trace, whose capture would cost more than the rest of the rejection.
   */
  #reject(message: string, retryAt: number | undefined): CircuitBreakerError {
    const errorClass = Error as { stackTraceLimit?: number | undefined };
    const limit = errorClass.stackTraceLimit;
    errorClass.stackTraceLimit = 0;
    try {
      return createCircuitBreakerError(this, message, {
        breaker: this.#name,
        state: this.#storage.state,
        retryAt,
        clock: this.#clock,
      });
    } finally {
      errorClass.stackTraceLimit = limit;
    }
  }

  /** Moves the storage to `state` and starts a new epoch; listeners hear of real changes only. */
  #transition(state: CircuitBreakerState, openedAt: number | undefined): Epoch {
    const storage = this.#storage;
    const from = storage.state;
    storage.setState(state, openedAt);
    const epoch = this.#makeEpoch(storage.generation, state);
    this.#epoch = epoch;
    if (from !== state) this.#listeners.stateChange(this, from, state);
    return epoch;
  }

  /** Catches up with a storage that changed under this breaker (another breaker, another process). */
  #sync(): Epoch {
    const previous = this.#epoch;
    const storage = this.#storage;
    const epoch = this.#makeEpoch(storage.generation, storage.state);
    this.#epoch = epoch;
    if (previous !== undefined && previous.state !== epoch.state) {
      this.#listeners.stateChange(this, previous.state, epoch.state);
    }
    return epoch;
  }

  #makeEpoch(generation: number, state: CircuitBreakerState): Epoch {
    const epoch: Epoch = {
      generation,
      state,
      onFulfilled: (value) => {
        this.#settleSuccess(epoch);
        return value;
      },
      onRejected: (error) => {
        throw this.#settleFailure(epoch, error);
      },
    };
    return epoch;
  }

  #callGate(): CallGate {
    return (this.#gate ??= {
      admit: () => this.#admit(),
      beforeCall: (fn, args) => {
        this.#listeners.beforeCall(this, fn, args);
      },
      settleSuccess: (epoch) => {
        this.#settleSuccess(epoch);
      },
      settleFailure: (epoch, error) => this.#settleFailure(epoch, error),
      settleNeutral: (epoch) => {
        this.#settleNeutral(epoch);
      },
      run: (fn, thisArg, args) => this.#run(fn, thisArg, args),
    });
  }

  #label(): string {
    return this.#name === undefined ? "" : ` ${JSON.stringify(this.#name)}`;
  }
}

function notAFunction(method: string, value: unknown): TypeError {
  return new TypeError(`${method} expects a function, got ${describeValue(value)}`);
}
