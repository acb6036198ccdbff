export { CircuitBreaker } from "./circuit-breaker.js";
export type { CircuitBreakerOptions, ListenerErrorHandler } from "./options.js";
export { CircuitBreakerError, type CircuitBreakerErrorDetails } from "./errors.js";
export {
  CircuitBreakerListener,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
} from "./listener.js";
export { CircuitBreakerState } from "./state.js";
export { CircuitMemoryStorage } from "./memory-storage.js";
export type { CircuitBreakerStorage } from "./storage.js";
export { CircuitBreakerMonitor, type CircuitBreakerSnapshot } from "./monitor.js";
export type { Clock } from "./clock.js";
export type { ExcludedException, ExcludedErrorClass, ExcludePredicate } from "./exclusions.js";
export type { Guarded, Protect, ProtectOptions } from "./protect.js";
