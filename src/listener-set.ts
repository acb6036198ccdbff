import type { CircuitBreaker } from "./circuit-breaker.js";
import { describeValue } from "./describe.js";
import {
  CircuitBreakerListener,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
} from "./listener.js";
import type { CircuitBreakerState } from "./state.js";
import { isThenable } from "./thenable.js";

import type { ListenerErrorHandler } from "./options.js";

const hooks: readonly ListenerHook[] = ["beforeCall", "success", "failure", "stateChange"];
const baseHooks = CircuitBreakerListener.prototype as Required<CircuitBreakerListenerHooks>;

/**
 * A breaker's listeners, kept per hook so that a call pays only for hooks that do something:
 * a hook that is missing or still the base class's no-op is left out. Hooks are read when the
 * listener is added. Every notification is isolated: a throw or a rejection goes to `onError`.
 */
export class ListenerSet {
  readonly #all: CircuitBreakerListenerHooks[] = [];
  #beforeCall: CircuitBreakerListenerHooks[] | undefined;
  #success: CircuitBreakerListenerHooks[] | undefined;
  #failure: CircuitBreakerListenerHooks[] | undefined;
  #stateChange: CircuitBreakerListenerHooks[] | undefined;
  readonly #onError: ListenerErrorHandler;

  constructor(onError: ListenerErrorHandler) {
    this.#onError = onError;
  }

  get all(): readonly CircuitBreakerListenerHooks[] {
    return this.#all.slice();
  }

  get hasBeforeCall(): boolean {
    return this.#beforeCall !== undefined;
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
    const list = this.#beforeCall;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        this.#watch(listener.beforeCall?.(breaker, fn, args), "beforeCall");
      } catch (error) {
        this.report(error, "beforeCall");
      }
    }
  }

  success(breaker: CircuitBreaker): void {
    const list = this.#success;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        this.#watch(listener.success?.(breaker), "success");
      } catch (error) {
        this.report(error, "success");
      }
    }
  }

  failure(breaker: CircuitBreaker, error: unknown): void {
    const list = this.#failure;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        this.#watch(listener.failure?.(breaker, error), "failure");
      } catch (listenerError) {
        this.report(listenerError, "failure");
      }
    }
  }

  stateChange(
    breaker: CircuitBreaker,
    oldState: CircuitBreakerState,
    newState: CircuitBreakerState,
  ): void {
    const list = this.#stateChange;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        this.#watch(listener.stateChange?.(breaker, oldState, newState), "stateChange");
      } catch (error) {
        this.report(error, "stateChange");
      }
    }
  }

  /** An async hook is not awaited, but its rejection is reported, never left unhandled. */
  #watch(result: unknown, hook: ListenerHook): void {
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) => {
        this.report(error, hook);
      });
    }
  }

  /** Hands a listener's error to the handler; a handler that throws falls back to the console. */
  report(error: unknown, hook: ListenerHook | "exclude"): void {
    try {
      this.#onError(error, hook);
    } catch (handlerError) {
      // The handler itself failed: the one place left that cannot lose both errors is the console.
      console.error(handlerError, error);
    }
  }

  #index(): void {
    this.#beforeCall = this.#with("beforeCall");
    this.#success = this.#with("success");
    this.#failure = this.#with("failure");
    this.#stateChange = this.#with("stateChange");
  }

  #with(hook: ListenerHook): CircuitBreakerListenerHooks[] | undefined {
    const list = this.#all.filter(
      (listener) => typeof listener[hook] === "function" && listener[hook] !== baseHooks[hook],
    );
    return list.length === 0 ? undefined : list;
  }
}

function assertListener(listener: unknown): asserts listener is CircuitBreakerListenerHooks {
  if (typeof listener !== "object" || listener === null) {
    const hint =
      typeof listener === "function" && /^class\b/.test(Function.prototype.toString.call(listener))
        ? ` (did you mean new ${listener.name}()?)`
        : "";
    throw new TypeError(
      `a listener must be an object with hooks (beforeCall, success, failure, stateChange), got ${describeValue(listener)}${hint}`,
    );
  }
  for (const hook of hooks) {
    const value = (listener as Record<string, unknown>)[hook];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`listener hook ${hook} must be a function, got ${describeValue(value)}`);
    }
  }
}
