import type { CircuitBreaker } from "./circuit-breaker.js";
import { describeValue } from "./describe.js";
import {
  CircuitBreakerListener,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
  type NeutralReason,
} from "./listener.js";
import type { CircuitBreakerMode } from "./mode.js";
import type { ListenerErrorHandler } from "./options.js";
import type { CircuitBreakerState } from "./state.js";
import { isThenable } from "./thenable.js";

const hooks: readonly ListenerHook[] = [
  "beforeCall",
  "success",
  "failure",
  "stateChange",
  "rejected",
  "timeout",
  "neutral",
  "slow",
  "modeChange",
];
const baseHooks = CircuitBreakerListener.prototype as unknown as Record<ListenerHook, unknown>;
type Hook = (this: CircuitBreakerListenerHooks, ...args: unknown[]) => unknown;
type Lists = Partial<Record<ListenerHook, CircuitBreakerListenerHooks[]>>;

/**
 * A breaker's listeners, kept per hook so that a call pays only for hooks that do something:
 * a hook that is missing or still the base class's no-op is left out. Hooks are read when the
 * listener is added. Every notification is isolated: a throw or a rejection goes to `onError`.
 */
export class ListenerSet {
  readonly #all: CircuitBreakerListenerHooks[] = [];
  #lists: Lists = {};
  readonly #onError: ListenerErrorHandler;

  constructor(onError: ListenerErrorHandler) {
    this.#onError = onError;
  }

  get all(): readonly CircuitBreakerListenerHooks[] {
    return this.#all.slice();
  }

  get hasBeforeCall(): boolean {
    return this.#lists.beforeCall !== undefined;
  }

  add(listener: CircuitBreakerListenerHooks): void {
    assertListener(listener);
    this.#all.push(listener);
    this.#index();
  }

  remove(listener: CircuitBreakerListenerHooks): boolean {
    const at = this.#all.indexOf(listener);
    if (at === -1) return false;
    this.#all.splice(at, 1);
    this.#index();
    return true;
  }

  beforeCall(
    breaker: CircuitBreaker,
    fn: (...args: never[]) => unknown,
    args: readonly unknown[],
  ): void {
    const list = this.#lists.beforeCall;
    if (list !== undefined) this.#emit(list, "beforeCall", breaker, fn, args);
  }

  success(breaker: CircuitBreaker): void {
    const list = this.#lists.success;
    if (list !== undefined) this.#emit(list, "success", breaker);
  }

  failure(breaker: CircuitBreaker, error: unknown): void {
    const list = this.#lists.failure;
    if (list !== undefined) this.#emit(list, "failure", breaker, error);
  }

  stateChange(
    breaker: CircuitBreaker,
    oldState: CircuitBreakerState,
    newState: CircuitBreakerState,
  ): void {
    const list = this.#lists.stateChange;
    if (list !== undefined) this.#emit(list, "stateChange", breaker, oldState, newState);
  }

  rejected(breaker: CircuitBreaker, error: Error): void {
    const list = this.#lists.rejected;
    if (list !== undefined) this.#emit(list, "rejected", breaker, error);
  }

  timeout(breaker: CircuitBreaker, error: Error): void {
    const list = this.#lists.timeout;
    if (list !== undefined) this.#emit(list, "timeout", breaker, error);
  }

  neutral(breaker: CircuitBreaker, reason: NeutralReason): void {
    const list = this.#lists.neutral;
    if (list !== undefined) this.#emit(list, "neutral", breaker, reason);
  }

  slow(breaker: CircuitBreaker, duration: number): void {
    const list = this.#lists.slow;
    if (list !== undefined) this.#emit(list, "slow", breaker, duration);
  }

  modeChange(
    breaker: CircuitBreaker,
    oldMode: CircuitBreakerMode,
    newMode: CircuitBreakerMode,
  ): void {
    const list = this.#lists.modeChange;
    if (list !== undefined) this.#emit(list, "modeChange", breaker, oldMode, newMode);
  }

  #emit(
    list: CircuitBreakerListenerHooks[],
    hook: ListenerHook,
    breaker: CircuitBreaker,
    a?: unknown,
    b?: unknown,
  ): void {
    for (const listener of list) {
      try {
        const result = (listener[hook] as Hook).call(listener, breaker, a, b);
        // An async hook is not awaited, but its rejection is reported, never left unhandled.
        if (isThenable(result)) {
          result.then(undefined, (error: unknown) => {
            this.report(error, hook);
          });
        }
      } catch (error) {
        this.report(error, hook);
      }
    }
  }

  /** Hands a listener's error to the handler; a handler that throws falls back to the console. */
  report(
    error: unknown,
    hook: ListenerHook | "exclude" | "resetTimeout" | "retryAfterFrom" | "callSync" | "storage",
  ): void {
    try {
      const result = this.#onError(error, hook);
      if (isThenable(result)) {
        result.then(undefined, (handlerError: unknown) => {
          console.error(handlerError, error);
        });
      }
    } catch (handlerError) {
      // The handler itself failed: the one place left that cannot lose both errors is the console.
      console.error(handlerError, error);
    }
  }

  #index(): void {
    const lists: Lists = {};
    for (const hook of hooks) {
      const list = this.#all.filter(
        (listener) => typeof listener[hook] === "function" && listener[hook] !== baseHooks[hook],
      );
      if (list.length !== 0) lists[hook] = list;
    }
    this.#lists = lists;
  }
}

function assertListener(listener: unknown): asserts listener is CircuitBreakerListenerHooks {
  if (typeof listener !== "object" || listener === null) {
    const hint =
      typeof listener === "function" && /^class\b/.test(Function.prototype.toString.call(listener))
        ? ` (did you mean new ${listener.name}()?)`
        : "";
    throw new TypeError(
      `a listener must be an object with hooks (${hooks.join(", ")}), got ${describeValue(listener)}${hint}`,
    );
  }
  for (const hook of hooks) {
    const value = (listener as Record<string, unknown>)[hook];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`listener hook ${hook} must be a function, got ${describeValue(value)}`);
    }
  }
}
