/**
 * A circuit breaker for TypeScript and JavaScript, after Python's aiobreaker.
 *
 * @module aiobreaker
 */

export { CircuitBreaker } from "./circuit-breaker.js";
export type {
  CircuitBreakerOptions,
  ErrorSource,
  Fallback,
  FailureResultPredicate,
  ListenerErrorHandler,
  ReconfigurableOptions,
} from "./options.js";
export type { ExecuteContext } from "./call-context.js";
export type { ExecuteOptions } from "./execute-options.js";
export { CircuitBreakerError, type CircuitBreakerErrorDetails } from "./errors.js";
export { CallTimeoutError, ConcurrencyLimitError, FailedResultError } from "./call-errors.js";
export {
  CircuitBreakerListener,
  type CallInfo,
  type CallOutcome,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
  type NeutralReason,
} from "./listener.js";
export type { CircuitBreakerStats } from "./call-stats.js";
export { CircuitBreakerState } from "./state.js";
export { CircuitBreakerMode } from "./mode.js";
export { CircuitMemoryStorage } from "./memory-storage.js";
export type {
  CircuitBreakerStorage,
  FailureOutcome,
  FailureRecord,
  SharedWindow,
  SharedWindowRule,
  StateChange,
  StateChangeCause,
  StoredCircuitState,
  TrialOutcome,
} from "./storage.js";
export { CircuitBreakerMonitor, type MonitorWatcher } from "./monitor.js";
export type { CircuitBreakerMetrics, CircuitBreakerSnapshot } from "./snapshot.js";
export { CircuitBreakerGroup, type CircuitBreakerGroupOptions } from "./circuit-breaker-group.js";
export {
  exponentialBackoff,
  type ExponentialBackoffOptions,
  type ResetTimeoutFunction,
} from "./exponential-backoff.js";
export {
  parseRetryAfter,
  retryAfterFromError,
  type RetryAfterExtractor,
} from "./retry-after-header.js";
export {
  CALL_CHANNEL,
  REJECTED_CHANNEL,
  STATE_CHANGE_CHANNEL,
  type CallTraceContext,
} from "./diagnostics.js";
export { describeValue } from "./describe.js";
export type { WindowSpec, WindowSnapshot } from "./outcome-window.js";
export type { Clock } from "./clock.js";
export type { ExcludedException, ExcludedErrorClass, ExcludePredicate } from "./exclusions.js";
export type {
  Guarded,
  GuardedWithSignal,
  Protect,
  ProtectDecorator,
  ProtectOptions,
} from "./protect.js";
