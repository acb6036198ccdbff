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
  success?(breaker: CircuitBreaker): unknown;
  /** After a failure is recorded, before any trip it causes. */
  failure?(breaker: CircuitBreaker, error: unknown): unknown;
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
  /** A call ran past `callTimeout`; `failure` follows with the same error. */
  timeout?(breaker: CircuitBreaker, error: Error): unknown;
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

  success(_breaker: CircuitBreaker): unknown {
    return undefined;
  }

  failure(_breaker: CircuitBreaker, _error: unknown): unknown {
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

  timeout(_breaker: CircuitBreaker, _error: Error): unknown {
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
