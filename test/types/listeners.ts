// Listener hooks: a subclass of CircuitBreakerListener or a plain object with any of the hooks.
import {
  CircuitBreaker,
  CircuitBreakerListener,
  type CallInfo,
  type CallOutcome,
  type CircuitBreakerListenerHooks,
  type CircuitBreakerMode,
  type CircuitBreakerState,
  type ListenerHook,
  type NeutralReason,
} from "aiobreaker";
import { expectType, type Equal } from "./expect.js";

export class LogListener extends CircuitBreakerListener {
  override stateChange(
    breaker: CircuitBreaker,
    oldState: CircuitBreakerState,
    newState: CircuitBreakerState,
  ): void {
    console.info(`${breaker.name ?? "breaker"}: ${oldState} -> ${newState}`);
  }

  override failure(_breaker: CircuitBreaker, error: unknown): void {
    console.info(error);
  }

  // A hook may be async; its promise is not awaited.
  override async success(): Promise<void> {
    await Promise.resolve();
  }
}

const plain: CircuitBreakerListenerHooks = {
  beforeCall(breaker, fn, args) {
    expectType<Equal<typeof breaker, CircuitBreaker>>(true);
    expectType<Equal<typeof fn, (...args: never[]) => unknown>>(true);
    expectType<Equal<typeof args, readonly unknown[]>>(true);
  },
  success(_breaker, info) {
    expectType<Equal<typeof info.duration, number>>(true);
    expectType<Equal<typeof info.outcome, CallOutcome>>(true);
  },
  failure(_breaker, error, info) {
    expectType<Equal<typeof error, unknown>>(true);
    expectType<Equal<typeof info, CallInfo>>(true);
  },
  stateChange(_breaker, oldState, newState) {
    expectType<Equal<typeof oldState, CircuitBreakerState>>(true);
    expectType<Equal<typeof newState, "closed" | "open" | "half-open">>(true);
  },
  rejected(_breaker, error) {
    expectType<Equal<typeof error, Error>>(true);
  },
  timeout(_breaker, error, info) {
    // A CallTimeoutError, or the reason of a caller's signal that timed out.
    expectType<Equal<typeof error, unknown>>(true);
    expectType<Equal<typeof info, CallInfo>>(true);
  },
  neutral(_breaker, reason) {
    expectType<Equal<typeof reason, NeutralReason>>(true);
    expectType<Equal<NeutralReason, "aborted" | "half-open-timeout" | "stopped">>(true);
    expectType<
      Equal<
        CallOutcome,
        | "success"
        | "failure"
        | "timeout"
        | "neutral"
        | "excluded"
        | "rejected"
        | "concurrency_limited"
      >
    >(true);
  },
  slow(_breaker, duration) {
    expectType<Equal<typeof duration, number>>(true);
  },
  modeChange(_breaker, oldMode, newMode) {
    expectType<Equal<typeof oldMode, CircuitBreakerMode>>(true);
    expectType<Equal<typeof newMode, "enabled" | "disabled" | "forced-open">>(true);
  },
};

const breaker = new CircuitBreaker({
  listeners: [new LogListener(), plain, { success: () => undefined }],
  onListenerError(error, hook) {
    expectType<Equal<typeof error, unknown>>(true);
    const known: ListenerHook | "exclude" | "resetTimeout" | "retryAfterFrom" = "exclude";
    hook = known;
    console.error(hook, error);
  },
});
breaker.addListener({ stateChange: () => undefined });
breaker.addListeners(plain, new LogListener());
expectType<Equal<typeof breaker.listeners, readonly CircuitBreakerListenerHooks[]>>(true);

// @ts-expect-error -- a listener must have at least one of the hooks (no onOpen)
breaker.addListener({ onOpen: () => undefined });
breaker.addListener({
  // @ts-expect-error -- states are strings, not numbers
  stateChange(_breaker: CircuitBreaker, oldState: number) {
    return oldState;
  },
});
// @ts-expect-error -- a listener is an instance, not the class
breaker.addListener(LogListener);
