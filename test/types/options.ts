// Options under exactOptionalPropertyTypes: what the constructor, reconfigure and the helpers take.
import {
  CircuitBreaker,
  CircuitBreakerGroup,
  CircuitBreakerMonitor,
  CircuitBreakerState,
  CircuitMemoryStorage,
  exponentialBackoff,
  retryAfterFromError,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitBreakerSnapshot,
  type ReconfigurableOptions,
  type WindowSpec,
} from "aiobreaker";
import { expectType, type Equal } from "./expect.js";

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${String(status)}`);
  }
}

const monitor = new CircuitBreakerMonitor();
const options: CircuitBreakerOptions = {
  name: "inventory",
  failMax: 5,
  resetTimeout: exponentialBackoff({ initial: 1_000, max: 60_000, jitter: "full" }),
  exclude: [HttpError, (error) => error instanceof HttpError && error.status === 404],
  window: { duration: 10_000, buckets: 10 },
  failureRateThreshold: 50,
  minimumCalls: 20,
  slowCallDuration: 2_000,
  slowCallRateThreshold: 80,
  callTimeout: 3_000,
  maxConcurrentCalls: 50,
  halfOpenMaxCalls: 2,
  successThreshold: 2,
  halfOpenTimeout: 5_000,
  halfOpenQueueSize: 10,
  retryAfterFrom: retryAfterFromError,
  maxRetryAfter: 120_000,
  throwNewErrorOnTrip: false,
  storage: new CircuitMemoryStorage(),
  clock: { now: () => Date.now() },
  monitor,
  onListenerError: (error) => {
    console.error(error);
  },
};
const breaker = new CircuitBreaker(options);
new CircuitBreaker();
new CircuitBreaker({ window: { calls: 100 } });
new CircuitBreaker({ resetTimeout: (attempt, error) => (error === undefined ? 1_000 : attempt) });

// Every option `reconfigure` takes accepts `undefined`: back to its default.
const defaults: Required<ReconfigurableOptions> = {
  failMax: undefined,
  resetTimeout: undefined,
  throwNewErrorOnTrip: undefined,
  successThreshold: undefined,
  halfOpenMaxCalls: undefined,
  window: undefined,
  failureRateThreshold: undefined,
  minimumCalls: undefined,
  slowCallDuration: undefined,
  slowCallRateThreshold: undefined,
  callTimeout: undefined,
  halfOpenTimeout: undefined,
  halfOpenQueueSize: undefined,
  maxConcurrentCalls: undefined,
  fallback: undefined,
  retryAfterFrom: undefined,
  maxRetryAfter: undefined,
  isFailureResult: undefined,
};
breaker.reconfigure(defaults);
breaker.reconfigure({ callTimeout: 1_000 });
breaker.failMax = 3;
breaker.failMax = undefined;
breaker.resetTimeout = 30_000;

// @ts-expect-error -- a count, not a string
new CircuitBreaker({ failMax: "5" });
// @ts-expect-error -- there is no `timeout` option: it is `callTimeout`
new CircuitBreaker({ timeout: 3_000 });
// @ts-expect-error -- a window is { calls } or { duration, buckets? }
new CircuitBreaker({ window: { buckets: 10 } });
// @ts-expect-error -- listeners are given at construction, not to reconfigure
breaker.reconfigure({ listeners: [] });
// @ts-expect-error -- jitter is "none", "full", "equal" or a fraction
exponentialBackoff({ jitter: "half" });

const spec: WindowSpec = { duration: 60_000 };
new CircuitBreaker({ window: spec });

// State, as strings and as the constants.
expectType<Equal<typeof breaker.state, CircuitBreakerState>>(true);
expectType<Equal<typeof CircuitBreakerState.HALF_OPEN, "half-open">>(true);
if (breaker.state === CircuitBreakerState.OPEN) {
  expectType<Equal<typeof breaker.retryAt, number | undefined>>(true);
}

// Counts since creation.
expectType<Equal<typeof breaker.stats, CircuitBreakerStats>>(true);
expectType<
  Equal<
    keyof CircuitBreakerStats,
    | "calls"
    | "successes"
    | "failures"
    | "timeouts"
    | "rejections"
    | "neutral"
    | "excluded"
    | "fallbacks"
    | "concurrencyLimited"
    | "stateChanges"
    | "since"
  >
>(true);

// A snapshot goes through JSON and back into `initialState`.
const saved: CircuitBreakerSnapshot = breaker.toJSON();
const restored = new CircuitBreaker({
  name: "inventory",
  initialState: JSON.parse(JSON.stringify(saved)) as CircuitBreakerSnapshot,
});
expectType<Equal<typeof restored.metrics.failureRate, number>>(true);

// Keyed breakers share the breaker options and add their own.
const perHost = new CircuitBreakerGroup({ name: "hosts", failMax: 3, idleTimeout: 60_000 });
expectType<Equal<ReturnType<typeof perHost.get>, CircuitBreaker>>(true);
// @ts-expect-error -- a group needs a name
new CircuitBreakerGroup({ failMax: 3 });
