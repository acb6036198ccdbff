import { BreakerCore } from "./breaker-core.js";
import { systemClock } from "./clock.js";
import { describeValue } from "./describe.js";
import { ExclusionList, type ExcludedException } from "./exclusions.js";
import type { ResetTimeoutFunction } from "./exponential-backoff.js";
import type { CircuitBreakerListenerHooks } from "./listener.js";
import { ListenerSet } from "./listener-set.js";
import { CircuitMemoryStorage } from "./memory-storage.js";
import { CircuitBreakerMode } from "./mode.js";
import {
  reconfigurable,
  validateOptions,
  type CircuitBreakerOptions,
  type ReconfigurableOptions,
} from "./options.js";
import { createWindow, rates } from "./outcome-window.js";
import { createProtect, ignoredBy, type Protect } from "./protect.js";
import { reconfigureCore } from "./reconfigure.js";
import { resolveSettings } from "./settings.js";
import type { CircuitBreakerMetrics, CircuitBreakerSnapshot } from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";
import { isPlainPromise, isThenable, observe, watchRejection } from "./thenable.js";
import { waitUntil } from "./wait.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;
const { ENABLED, DISABLED, FORCED_OPEN } = CircuitBreakerMode;

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
  readonly #core: BreakerCore;
  #protect: Protect | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    validateOptions(options);
    const given: ReconfigurableOptions = {};
    for (const key of reconfigurable) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) (given as Record<string, unknown>)[key] = value;
    }
    const onListenerError =
      options.onListenerError ??
      ((error: unknown, hook: string) => {
        console.error(`aiobreaker: ${describeErrorSource(hook)}`, error);
      });
    const listeners = new ListenerSet(onListenerError);
    const settings = resolveSettings(given);
    const core = new BreakerCore(this, {
      name: options.name,
      storage: options.storage ?? new CircuitMemoryStorage(),
      clock: options.clock ?? systemClock,
      listeners,
      exclusions: new ExclusionList((error) => {
        listeners.report(error, "exclude");
      }),
      given,
      settings,
    });
    this.#core = core;
    core.setWindow(settings.window === undefined ? undefined : createWindow(settings.window));
    for (const entry of options.exclude ?? []) this.#core.exclusions.add(entry);
    for (const listener of options.listeners ?? []) listeners.add(listener);
    if (options.initialState !== undefined) this.#core.restore(options.initialState);
    options.monitor?.register(this);
  }

  /** The name given at construction, or `undefined`. */
  get name(): string | undefined {
    return this.#core.name;
  }

  /**
   * The current state: the storage's, but open while forced open. Open stays open until a call
   * after `retryAt`.
   */
  get state(): CircuitBreakerState {
    return this.#core.reportedState;
  }

  /** `"enabled"`, `"disabled"` (metrics only) or `"forced-open"`. */
  get mode(): CircuitBreakerMode {
    return this.#core.mode;
  }

  /** Consecutive failures. */
  get failCounter(): number {
    return this.#core.storage.failCounter;
  }

  /** Consecutive successes in half-open; 0 in any other state. */
  get successCounter(): number {
    return this.#core.reportedState === HALF_OPEN ? this.#core.storage.successCounter : 0;
  }

  /** Consecutive failures that trip; `undefined` when a window decides alone. */
  get failMax(): number | undefined {
    return this.#core.settings.failMax;
  }

  set failMax(value: number | undefined) {
    this.reconfigure({ failMax: value });
  }

  /** Milliseconds the breaker stays open before a trial, or the backoff function. */
  get resetTimeout(): number | ResetTimeoutFunction {
    return this.#core.settings.resetTimeout;
  }

  set resetTimeout(value: number | ResetTimeoutFunction) {
    this.reconfigure({ resetTimeout: value });
  }

  /** Successes in half-open needed to close. */
  get successThreshold(): number {
    return this.#core.settings.successThreshold;
  }

  /** Trial calls admitted at once in half-open. */
  get halfOpenMaxCalls(): number {
    return this.#core.settings.halfOpenMaxCalls;
  }

  /** When the breaker last opened (epoch ms); `undefined` when closed. */
  get openedAt(): number | undefined {
    return this.#core.storage.openedAt;
  }

  /** Epoch ms at which the next trial call is admitted; `undefined` unless open (or if forced open). */
  get retryAt(): number | undefined {
    return this.#core.retryAt;
  }

  /** Milliseconds until `retryAt`, never negative; `undefined` unless open. */
  get retryAfter(): number | undefined {
    const retryAt = this.retryAt;
    return retryAt === undefined ? undefined : Math.max(0, retryAt - this.#core.clock.now());
  }

  /**
   * Calls started whose outcome is still to come: their promise (or, with a timeout or a
   * concurrency limit, their work) has not settled, and guarded generators between their first
   * `next()` and their end.
   */
  get inFlight(): number {
    return this.#core.active + this.#core.pending;
  }

  /** What the failure-rate window holds now (zeros without a window). */
  get metrics(): CircuitBreakerMetrics {
    const window = this.#core.window;
    if (window === undefined) {
      return { calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 };
    }
    window.advance(this.#core.clock.now());
    const { calls, failures, slowCalls } = window;
    return { calls, failures, slowCalls, ...rates(window) };
  }

  /** A copy of the listeners, in registration order. */
  get listeners(): readonly CircuitBreakerListenerHooks[] {
    return this.#core.listeners.all;
  }

  /** A copy of the exclusion entries, in insertion order. */
  get excludedExceptions(): readonly ExcludedException[] {
    return this.#core.exclusions.entries;
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
    const core = this.#core;
    const epoch = core.plainEpoch(args);
    if (
      epoch !== undefined &&
      typeof fn === "function" &&
      (fn as { [ignoredBy]?: unknown })[ignoredBy] !== this
    ) {
      // The shortest path, run here so that no other frame of the breaker is on the stack.
      let result: unknown;
      let plain: boolean;
      try {
        result = args.length === 0 ? (fn as () => unknown)() : fn(...args);
        plain = isPlainPromise(result);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
        return Promise.reject(core.settleFailure(epoch, error));
      }
      if (plain) {
        core.pending++;
        return observe(result as Promise<unknown>, epoch.onFulfilled, epoch.onRejected) as Promise<
          Awaited<Result>
        >;
      }
      return core.settleValue(epoch, result) as Promise<Awaited<Result>>;
    }
    if (typeof fn !== "function") {
      return Promise.reject(notAFunction("call", fn));
    }
    if ((fn as { [ignoredBy]?: unknown })[ignoredBy] === this) {
      // Already guarded by this breaker: counting it here too would count it twice.
      try {
        return Promise.resolve<Awaited<Result>>(fn(...args) as Awaited<Result>);
      } catch (error) {
        // A guarded generator function refuses synchronously; `call` still answers with a promise.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
        return Promise.reject(error);
      }
    }
    return core.run(fn, undefined, args) as Promise<Awaited<Result>>;
  }

  /**
   * Runs a synchronous `fn(...args)` through the breaker and returns its result, throwing
   * synchronously. A function that returns a thenable is a `TypeError` (not counted): use `call`.
   * No timeout, signal, concurrency limit or fallback applies: those are for `call`.
   */
  callSync<Args extends unknown[], Result>(fn: (...args: Args) => Result, ...args: Args): Result {
    if (typeof fn !== "function") throw notAFunction("callSync", fn);
    const epoch = this.#core.admitReported();
    if (epoch instanceof Error) throw epoch;
    this.#core.listeners.beforeCall(this, fn, args);
    const start = this.#core.settings.slowCallDuration === undefined ? 0 : this.#core.clock.now();
    let result: Result;
    let thenable: boolean;
    try {
      result = fn(...args);
      thenable = isThenable(result);
    } catch (error) {
      throw this.#core.settleFailure(epoch, error, this.#core.isSlow(start));
    }
    if (thenable) {
      this.#core.settleNeutral(epoch, undefined);
      if (result instanceof Promise) {
        // Its rejection must not crash the process once the caller has handled the TypeError,
        // nor vanish: it goes where listener errors go. (A foreign thenable is left untouched:
        // calling its `then` may start work, as a lazy query builder's does.)
        watchRejection(result, (error) => {
          this.#core.listeners.report(error, "callSync");
        });
      }
      // The thenable is the cause: its outcome stays the caller's to observe.
      throw new TypeError(
        `callSync got a thenable from ${describeValue(fn)}; use call() for asynchronous functions`,
        { cause: result },
      );
    }
    this.#core.settleSuccess(epoch, this.#core.isSlow(start));
    return result;
  }

  /**
   * Wraps `fn` so that every call goes through this breaker: same parameters, `this` and
   * `name`, returning a promise of `fn`'s result. Generator functions are guarded over their
   * iteration. Also a decorator, standard or legacy: `@breaker.protect`.
   */
  get protect(): Protect {
    return (this.#protect ??= createProtect(this.#core, this));
  }

  /** Opens the breaker now; on an open breaker this restarts the timeout. */
  open(): void {
    this.#core.trip(this.#core.clock.now(), undefined);
  }

  /** Closes the breaker and resets its counters and window. */
  close(): void {
    this.#releaseForcedOpen();
    if (this.#core.storage.state === CLOSED) {
      this.#core.storage.resetFailCounter();
      this.#core.window?.clear();
      return;
    }
    this.#core.transition(CLOSED, undefined, undefined);
  }

  /** Moves the breaker to half-open, keeping its failure count. */
  halfOpen(): void {
    this.#releaseForcedOpen();
    if (this.#core.storage.state !== HALF_OPEN)
      this.#core.transition(HALF_OPEN, undefined, undefined);
  }

  /** Closing or half-opening by hand ends a forced opening: "closed" must mean calls run. */
  #releaseForcedOpen(): void {
    if (this.#core.mode === FORCED_OPEN) this.#core.setMode(ENABLED);
  }

  /** Lets every call through, still recording outcomes (metrics only); nothing trips. */
  disable(): void {
    this.#core.setMode(DISABLED);
  }

  /** Opens the breaker and keeps it open, with no trial call, until `enable()` or `reset()`. */
  forceOpen(): void {
    this.#core.setMode(FORCED_OPEN);
    // Opened as a trip would (the backoff's attempt, its duration), for after `enable()`.
    if (this.#core.storage.state !== OPEN) this.#core.trip(this.#core.clock.now(), undefined);
  }

  /** Back to normal operation from `disable()` or `forceOpen()`, keeping the state. */
  enable(): void {
    this.#core.setMode(ENABLED);
  }

  /** Back to a fresh breaker: enabled, closed, counters, window and backoff cleared. */
  reset(): void {
    this.#core.setMode(ENABLED);
    this.close();
  }

  /**
   * Changes options on the live breaker, keeping its state, counters, window contents
   * (reshaped when the window changes) and backoff attempt. All or nothing: a bad value changes
   * nothing. An option given as `undefined` returns to its default.
   */
  reconfigure(options: ReconfigurableOptions): void {
    reconfigureCore(this.#core, options);
  }

  /** The breaker as plain JSON, to watch it or to start another from (`initialState`). */
  toJSON(): CircuitBreakerSnapshot {
    const storage = this.#core.storage;
    const window = this.#core.window;
    return {
      name: this.#core.name,
      state: this.#core.reportedState,
      mode: this.#core.mode,
      failCounter: storage.failCounter,
      successCounter: this.successCounter,
      openedAt: storage.openedAt,
      // Opened with no recorded time (a storage made open): the next call is a trial, and a
      // retryAt of "now" would pin a time that restoring cannot honour without openedAt.
      retryAt: storage.openedAt === undefined ? undefined : this.retryAt,
      openAttempts: storage.openAttempts,
      window: window?.toJSON(),
      metrics: this.metrics,
    };
  }

  /**
   * Resolves once the clock reaches `retryAt` (at once unless open); while forced open, once it
   * is released and then its `retryAt` has come. An aborted signal rejects.
   */
  waitUntilRetry(signal?: AbortSignal): Promise<void> {
    if (this.#core.mode === FORCED_OPEN) {
      return this.#core.nextChange(signal).then(() => this.waitUntilRetry(signal));
    }
    return waitUntil(this.#core.clock, () => this.retryAt, signal);
  }

  /** Adds a listener at the end of the list. */
  addListener(listener: CircuitBreakerListenerHooks): void {
    this.#core.listeners.add(listener);
    this.#core.refreshEpoch();
  }

  /** Adds listeners at the end of the list, in order. */
  addListeners(...listeners: CircuitBreakerListenerHooks[]): void {
    for (const listener of listeners) this.#core.listeners.add(listener);
    this.#core.refreshEpoch();
  }

  /** Removes a listener; returns whether it was there. */
  removeListener(listener: CircuitBreakerListenerHooks): boolean {
    const removed = this.#core.listeners.remove(listener);
    this.#core.refreshEpoch();
    return removed;
  }

  /** Excludes an error class or predicate from the failure count. */
  addExcludedException(entry: ExcludedException): void {
    this.#core.exclusions.add(entry);
  }

  /** Excludes several entries, in order. */
  addExcludedExceptions(...entries: ExcludedException[]): void {
    for (const entry of entries) this.#core.exclusions.add(entry);
  }

  /** Removes an exclusion entry; returns whether it was there. */
  removeExcludedException(entry: ExcludedException): boolean {
    return this.#core.exclusions.remove(entry);
  }

  /** Whether `error` counts as a failure (it is not excluded). */
  isSystemError(error: unknown): boolean {
    return !this.#core.exclusions.excludes(error);
  }
}

/** Where a reported error came from, for the default `onListenerError`. */
function describeErrorSource(source: string): string {
  switch (source) {
    case "exclude":
      return "an exclude predicate failed";
    case "resetTimeout":
    case "retryAfterFrom":
      return `the ${source} function failed`;
    case "callSync":
      return "a promise that callSync refused rejected";
    case "storage":
      return "the storage's subscription failed";
    default:
      return `listener hook ${source} failed`;
  }
}

function notAFunction(method: string, value: unknown): TypeError {
  return new TypeError(`${method} expects a function, got ${describeValue(value)}`);
}
