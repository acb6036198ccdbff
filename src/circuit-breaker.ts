import { BreakerCore } from "./breaker-core.js";
import { BREAKER_POLICY } from "./call-policy.js";
import type { ExecuteContext } from "./call-context.js";
import type { CircuitBreakerStats } from "./call-stats.js";
import { systemClock } from "./clock.js";
import { callChannel, type CallTraceContext } from "./diagnostics.js";
import { ExclusionList, type ExcludedException } from "./exclusions.js";
import { notAFunction, readExecuteOptions, type ExecuteOptions } from "./execute-options.js";
import type { ResetTimeoutFunction } from "./exponential-backoff.js";
import type { CircuitBreakerListenerHooks } from "./listener.js";
import { ListenerSet } from "./listener-set.js";
import { CircuitMemoryStorage } from "./memory-storage.js";
import { CircuitBreakerMode } from "./mode.js";
import {
  reconfigurable,
  validateOptions,
  type CircuitBreakerOptions,
  type ErrorSource,
  type ReconfigurableOptions,
} from "./options.js";
import { createWindow, rates } from "./outcome-window.js";
import { createProtect, ignoredBy, type Protect } from "./protect.js";
import { reconfigureCore } from "./reconfigure.js";
import { resolveSettings, type Settings } from "./settings.js";
import { runSync } from "./sync-call.js";
import type { CircuitBreakerMetrics, CircuitBreakerSnapshot } from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";
import { isUntouchedPromise } from "./thenable.js";
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
 * const page = await breaker.execute(({ signal }) => fetch(url, { signal }));
 * ```
 */
export class CircuitBreaker {
  readonly #core: BreakerCore;
  #protect: Protect | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    validateOptions(options);
    let given: ReconfigurableOptions = NO_OPTIONS;
    for (const key of reconfigurable) {
      const value = (options as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (given === NO_OPTIONS) given = {};
      (given as Record<string, unknown>)[key] = value;
    }
    const listeners = new ListenerSet(options.onListenerError ?? reportToConsole);
    // Settings are never changed in place (reconfigure swaps them): the defaults can be shared.
    const settings = given === NO_OPTIONS ? defaultSettings() : resolveSettings(given);
    const core = new BreakerCore(this, {
      name: options.name,
      storage: options.storage ?? new CircuitMemoryStorage(),
      clock: options.clock ?? systemClock,
      listeners,
      exclusions: new ExclusionList(listeners),
      given,
      settings,
    });
    this.#core = core;
    core.setWindow(settings.window === undefined ? undefined : createWindow(settings.window));
    for (const entry of options.exclude ?? []) core.exclusions.add(entry);
    for (const listener of options.listeners ?? []) listeners.add(listener);
    if (options.initialState !== undefined) core.restore(options.initialState);
    core.refreshEpoch();
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

  /** `"enabled"`, `"disabled"` (metrics only) or `"forced-open"`; shared through the storage. */
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

  /** Changes it as `reconfigure({ failMax })` does: validated, `undefined` restores the default. */
  set failMax(value: number | undefined) {
    this.reconfigure({ failMax: value });
  }

  /** Milliseconds the breaker stays open before a trial, or the backoff function. */
  get resetTimeout(): number | ResetTimeoutFunction {
    return this.#core.settings.resetTimeout;
  }

  /** Changes it as `reconfigure({ resetTimeout })` does: validated before anything changes. */
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

  /**
   * When the breaker last opened (epoch ms); `undefined` when closed. An opening dated after the
   * clock's now (the clock was set back) is taken to have begun when the breaker first saw it so.
   */
  get openedAt(): number | undefined {
    return this.#core.openedAt;
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

  /** Counts of every call since the breaker was created, by outcome (see {@link CircuitBreakerStats}). */
  get stats(): CircuitBreakerStats {
    return this.#core.counters.snapshot();
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
   * Runs `fn(...args)` through the breaker, passing the arguments through untouched. Always
   * returns a promise, for synchronous and asynchronous functions alike (never throws); rejects
   * with {@link CircuitBreakerError} while open. For a call that takes the breaker's signal
   * (timeouts, the caller's abort), use {@link CircuitBreaker.execute}.
   */
  call<Args extends unknown[], Result>(
    fn: (...args: Args) => Result,
    ...args: Args
  ): Promise<Awaited<Result>> {
    const core = this.#core;
    const epoch = core.plainEpoch();
    if (epoch !== undefined && typeof fn === "function" && !this.#guardedHere(fn)) {
      // The shortest path, run here so that no other frame of the breaker is on the stack.
      let result: unknown;
      try {
        // Fixed arities first: a spread call goes through the engine's generic varargs path.
        result =
          args.length === 0
            ? (fn as () => unknown)()
            : args.length === 1
              ? (fn as unknown as (a: unknown) => unknown)(args[0])
              : fn(...args);
        if (isUntouchedPromise(result)) {
          core.pending++;
          return result.then(epoch.onFulfilled, epoch.onRejected) as Promise<Awaited<Result>>;
        }
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
        return Promise.reject(core.settleFailure(epoch, error, false, -1));
      }
      return core.settleValue(epoch, result) as Promise<Awaited<Result>>;
    }
    return this.#callOffPath(fn, args) as Promise<Awaited<Result>>;
  }

  /** Whether `fn` is a wrapper this breaker's `protect` built (its outcome is counted there). */
  #guardedHere(fn: object): boolean {
    try {
      return (fn as { [ignoredBy]?: unknown })[ignoredBy] === this;
    } catch {
      // A revoked Proxy: `#callOffPath` meets the same error and rejects with it.
      return true;
    }
  }

  /** `call` off the shortest path: a non-function, a wrapper of this breaker's, a busy breaker. */
  #callOffPath(fn: unknown, args: unknown[]): Promise<unknown> {
    if (typeof fn !== "function") return Promise.reject(notAFunction("call", fn));
    let guardedHere: boolean;
    try {
      guardedHere = (fn as { [ignoredBy]?: unknown })[ignoredBy] === this;
    } catch (error) {
      // A revoked Proxy: nothing can be called; the caller gets why, as a rejection.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the engine's own TypeError
      return Promise.reject(error);
    }
    // Already guarded by this breaker: counting it here too would count it twice.
    if (guardedHere) return (fn as (...args: unknown[]) => Promise<unknown>)(...args);
    return this.#core.run(
      fn as (...args: never[]) => unknown,
      undefined,
      args,
      BREAKER_POLICY,
      undefined,
    );
  }

  /**
   * Runs `fn` with the call's signal: `fn(context)` gets `context.signal`, which aborts on
   * `options.signal` or on `callTimeout`, whichever comes first. Pass it on to `fetch` or a
   * driver so that a call the breaker gave up on stops its work. A caller's abort ends the call
   * at once: neutral, or a timeout (a failure) when the abort's reason is a `TimeoutError`, as
   * `AbortSignal.timeout()` gives. Always returns a promise.
   *
   * @example
   * ```ts
   * const response = await breaker.execute(({ signal }) => fetch(url, { signal }), {
   *   signal: AbortSignal.timeout(2_000),
   *   isFailureResult: (response) => response.status >= 500,
   *   fallback: () => Response.json(cached),
   * });
   * ```
   */
  execute<Result>(
    fn: (context: ExecuteContext) => Result,
    options?: ExecuteOptions<Result>,
  ): Promise<Awaited<Result>> {
    if (typeof fn !== "function") return Promise.reject(notAFunction("execute", fn));
    let read: ReturnType<typeof readExecuteOptions>;
    try {
      read = readExecuteOptions(options);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a TypeError naming the option
      return Promise.reject(error);
    }
    return this.#core.run(fn, undefined, [], read.policy, read.signal) as Promise<Awaited<Result>>;
  }

  /**
   * Runs a synchronous `fn(...args)` through the breaker and returns its result, throwing
   * synchronously. A function that returns a thenable is a `TypeError` (not counted): use `call`.
   * No timeout, signal, concurrency limit or fallback applies: those are for `call`.
   */
  callSync<Args extends unknown[], Result>(fn: (...args: Args) => Result, ...args: Args): Result {
    if (typeof fn !== "function") throw notAFunction("callSync", fn);
    const core = this.#core;
    if (!callChannel.hasSubscribers) return runSync(core, fn, args, undefined) as Result;
    const context: CallTraceContext = { breaker: this, args };
    return callChannel.traceSync(() => runSync(core, fn, args, context), context) as Result;
  }

  /**
   * Wraps `fn` so that every call goes through this breaker: same parameters, `this` and
   * `name`, returning a promise of `fn`'s result. With `{ signal: "last" }` the last parameter
   * carries the call's signal; `fallback` and `isFailureResult` replace the breaker's for this
   * function. Also a decorator, standard or legacy: `@breaker.protect`,
   * `@breaker.protect({ ... })`.
   */
  get protect(): Protect {
    return (this.#protect ??= createProtect(this.#core, this));
  }

  /** Opens the breaker now; on an open breaker this restarts the timeout. */
  open(): void {
    const core = this.#core;
    core.trip(core.clock.now(), undefined, "manual", core.storage.generation);
  }

  /** Closes the breaker and resets its counters and window. */
  close(): void {
    const core = this.#core;
    this.#releaseForcedOpen();
    if (core.storage.state === CLOSED) {
      if (core.storage.failCounter !== 0) {
        try {
          core.storage.resetFailCounter();
        } catch (error) {
          core.storageFault(error);
        }
      }
      core.window?.clear();
      return;
    }
    core.transition(CLOSED, undefined, undefined, "manual");
  }

  /** Moves the breaker to half-open, keeping its failure count. */
  halfOpen(): void {
    this.#releaseForcedOpen();
    if (this.#core.storage.state !== HALF_OPEN) {
      this.#core.transition(HALF_OPEN, undefined, undefined, "manual");
    }
  }

  /** Closing or half-opening by hand ends a forced opening: "closed" must mean calls run. */
  #releaseForcedOpen(): void {
    if (this.#core.mode === FORCED_OPEN) this.#core.setMode(ENABLED);
  }

  /**
   * Lets every call through, still recording outcomes (metrics only); nothing trips. Calls
   * admitted before decide nothing (as any call admitted before a change of mode).
   */
  disable(): void {
    this.#core.setMode(DISABLED);
  }

  /** Opens the breaker and keeps it open, with no trial call, until `enable()` or `reset()`. */
  forceOpen(): void {
    const core = this.#core;
    core.setMode(FORCED_OPEN);
    // Opened as a trip would (the backoff's attempt, its duration), for after `enable()`.
    if (core.storage.state !== OPEN) {
      core.trip(core.clock.now(), undefined, "manual", core.storage.generation);
    }
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
    const core = this.#core;
    const storage = core.storage;
    const window = core.window;
    const now = core.clock.now();
    window?.advance(now);
    const openedAt = core.openedAt;
    const retryAt = core.retryAt;
    return {
      name: core.name,
      state: core.reportedState,
      mode: core.mode,
      failCounter: storage.failCounter,
      successCounter: this.successCounter,
      openedAt,
      // Opened with no recorded time (a storage made open): the next call is a trial, and a
      // retryAt of "now" would pin a time that restoring cannot honour without openedAt.
      retryAt: openedAt === undefined ? undefined : retryAt,
      openAttempts: storage.openAttempts,
      nextCallIsTrial: retryAt !== undefined && retryAt <= now,
      window: window?.toJSON(),
      metrics: this.metrics,
      stats: core.counters.snapshot(),
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

/** What a breaker built with no reconfigurable option was given: nothing, shared by all. */
const NO_OPTIONS: ReconfigurableOptions = Object.freeze({});
let sharedDefaults: Settings | undefined;

/** The settings of a breaker given no reconfigurable option, resolved once. */
function defaultSettings(): Settings {
  return (sharedDefaults ??= resolveSettings(NO_OPTIONS));
}

/** The default `onListenerError`: the console, saying where the error came from. */
function reportToConsole(error: unknown, source: ErrorSource): void {
  console.error(`aiobreaker: ${describeErrorSource(source)}`, error);
}

/** Where a reported error came from, for the default `onListenerError`. */
function describeErrorSource(source: ErrorSource): string {
  switch (source) {
    case "exclude":
      return "an exclude predicate failed";
    case "isFailureResult":
      return "the isFailureResult predicate failed";
    case "resetTimeout":
    case "retryAfterFrom":
      return `the ${source} function failed`;
    case "callSync":
      return "a promise that callSync refused rejected";
    case "storage":
      return "the storage failed (the breaker went on without it)";
    default:
      return `listener hook ${source} failed`;
  }
}
