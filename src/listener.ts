import type { CircuitBreaker } from "./circuit-breaker.js";
import type { CircuitBreakerMode } from "./mode.js";
import type { CircuitBreakerState } from "./state.js";

/** The name of a listener hook, as passed to `onListenerError`. */
export type ListenerHook =
  | "beforeCall"
  | "success"
  | "failure"
  | "stateChange"
  | "rejected"
  | "timeout"
  | "neutral"
  | "slow"
  | "modeChange";

/**
 * Why a call ended with neither success nor failure: its caller aborted it (`"aborted"`), its
 * trial slot was released by `halfOpenTimeout` (`"half-open-timeout"`), or a generator's consumer
 * stopped early (`"stopped"`).
 */
export type NeutralReason = "aborted" | "half-open-timeout" | "stopped";

/**
 * How a call ended: `"success"`, `"failure"` (a counted error, or a result that `isFailureResult`
 * judged a failure), `"timeout"` (`callTimeout`, or the caller's own deadline), `"neutral"`
 * (neither: an abort, a stopped generator, a trial released by `halfOpenTimeout`), `"excluded"`
 * (an excluded error: a success for the breaker), `"rejected"` (refused without running) or
 * `"concurrency_limited"` (refused by `maxConcurrentCalls`).
 */
export type CallOutcome =
  "success" | "failure" | "timeout" | "neutral" | "excluded" | "rejected" | "concurrency_limited";

/** What the `success`, `failure` and `timeout` hooks learn of the call beside its result. */
export interface CallInfo {
  /**
   * How long the call ran, ms, on a monotonic clock (`performance.now()`); `NaN` for a call that
   * started before the hook was added (nothing measured its start).
   */
  readonly duration: number;
  /** `"success"` or `"excluded"` in `success`; `"failure"` or `"timeout"` in `failure` and `timeout`. */
  readonly outcome: CallOutcome;
}

/**
 * The hooks a listener may have. Every hook is optional; a hook may be async (its promise is not
 * awaited, and a rejection goes to the breaker's `onListenerError`).
 */
export interface CircuitBreakerListenerHooks {
  /** Before the guarded function runs (after admission: never for a rejected call). */
  beforeCall?(
    breaker: CircuitBreaker,
    fn: (...args: never[]) => unknown,
    args: readonly unknown[],
  ): unknown;
  /** After a success, or an excluded error, is recorded. */
  success?(breaker: CircuitBreaker, info: CallInfo): unknown;
  /**
   * After a failure is recorded; a trip it causes is reported by `stateChange` right after. For a
   * result that `isFailureResult` judged a failure, `error` is a `FailedResultError`.
   */
  failure?(breaker: CircuitBreaker, error: unknown, info: CallInfo): unknown;
  /** After the state really changed. */
  stateChange?(
    breaker: CircuitBreaker,
    oldState: CircuitBreakerState,
    newState: CircuitBreakerState,
  ): unknown;
  /**
   * A call was refused without running: `CircuitBreakerError` (open, forced open, no trial slot,
   * trial queue full) or `ConcurrencyLimitError`.
   */
  rejected?(breaker: CircuitBreaker, error: Error): unknown;
  /**
   * A call ran past `callTimeout` (`error` is a `CallTimeoutError`) or past its caller's deadline
   * (a signal aborted with a `TimeoutError`: `error` is that reason); `failure` follows with the
   * same error.
   */
  timeout?(breaker: CircuitBreaker, error: unknown, info: CallInfo): unknown;
  /** A call ended with neither success nor failure. */
  neutral?(breaker: CircuitBreaker, reason: NeutralReason): unknown;
  /** A call took `slowCallDuration` or longer; `success` or `failure` follows. */
  slow?(breaker: CircuitBreaker, duration: number): unknown;
  /** After the mode really changed (`disable()`, `forceOpen()`, `enable()`, `reset()`). */
  modeChange?(
    breaker: CircuitBreaker,
    oldMode: CircuitBreakerMode,
    newMode: CircuitBreakerMode,
  ): unknown;
}

/**
 * A base class with a no-op for every hook: extend it and override what you need. A plain object
 * with any subset of the hooks works as well.
 *
 * @example
 * ```ts
 * class LogListener extends CircuitBreakerListener {
 *   override stateChange(breaker: CircuitBreaker, oldState: string, newState: string) {
 *     console.info(`${breaker.name}: ${oldState} -> ${newState}`);
 *   }
 * }
 * const breaker = new CircuitBreaker({ name: "db", listeners: [new LogListener()] });
 * ```
 */
export class CircuitBreakerListener implements CircuitBreakerListenerHooks {
  beforeCall(
    _breaker: CircuitBreaker,
    _fn: (...args: never[]) => unknown,
    _args: readonly unknown[],
  ): unknown {
    return undefined;
  }

  success(_breaker: CircuitBreaker, _info: CallInfo): unknown {
    return undefined;
  }

  failure(_breaker: CircuitBreaker, _error: unknown, _info: CallInfo): unknown {
    return undefined;
  }

  stateChange(
    _breaker: CircuitBreaker,
    _oldState: CircuitBreakerState,
    _newState: CircuitBreakerState,
  ): unknown {
    return undefined;
  }

  rejected(_breaker: CircuitBreaker, _error: Error): unknown {
    return undefined;
  }

  timeout(_breaker: CircuitBreaker, _error: unknown, _info: CallInfo): unknown {
    return undefined;
  }

  neutral(_breaker: CircuitBreaker, _reason: NeutralReason): unknown {
    return undefined;
  }

  slow(_breaker: CircuitBreaker, _duration: number): unknown {
    return undefined;
  }

  modeChange(
    _breaker: CircuitBreaker,
    _oldMode: CircuitBreakerMode,
    _newMode: CircuitBreakerMode,
  ): unknown {
    return undefined;
  }
}
