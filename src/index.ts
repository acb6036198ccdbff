export { CircuitBreaker } from "./circuit-breaker.js";
export type {
  CircuitBreakerOptions,
  Fallback,
  ListenerErrorHandler,
  ReconfigurableOptions,
} from "./options.js";
export { CircuitBreakerError, type CircuitBreakerErrorDetails } from "./errors.js";
export { CallTimeoutError, ConcurrencyLimitError } from "./call-errors.js";
export type { CallOptions } from "./controlled-call.js";
export {
  CircuitBreakerListener,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
  type NeutralReason,
} from "./listener.js";
export { CircuitBreakerState } from "./state.js";
export { CircuitBreakerMode } from "./mode.js";
export { CircuitMemoryStorage } from "./memory-storage.js";
export type { CircuitBreakerStorage, StoredCircuitState } from "./storage.js";
export { CircuitBreakerMonitor } from "./monitor.js";
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
export type { WindowSpec, WindowSnapshot } from "./outcome-window.js";
export type { Clock } from "./clock.js";
export type { ExcludedException, ExcludedErrorClass, ExcludePredicate } from "./exclusions.js";
export type { Guarded, Protect, ProtectDecorator, ProtectOptions } from "./protect.js";
