import type { CircuitBreaker } from "./circuit-breaker.js";
import { describeValue } from "./describe.js";
import {
  CircuitBreakerListener,
  type CallInfo,
  type CircuitBreakerListenerHooks,
  type ListenerHook,
  type NeutralReason,
} from "./listener.js";
import type { CircuitBreakerMode } from "./mode.js";
import type { ErrorSource, ListenerErrorHandler } from "./options.js";
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
/** A listener and the function its hook had when it was added. */
type Entry = readonly [listener: CircuitBreakerListenerHooks, hook: Hook];
type Lists = Partial<Record<ListenerHook, readonly Entry[]>>;
type HookTable = Partial<Record<ListenerHook, Hook>>;
/** The lists of a set with no listener, shared: nothing in them. */
const NO_LISTS: Lists = Object.freeze({});
/** A notification waiting for the one being delivered to finish. */
type Queued = readonly [
  list: readonly Entry[],
  hook: ListenerHook,
  breaker: CircuitBreaker,
  a: unknown,
  b: unknown,
  c: unknown,
];

/**
 * A breaker's listeners, kept per hook so that a call pays only for hooks that do something:
 * a hook that is missing or still the base class's no-op is left out. Each hook's function is
 * read once, when the listener is added: adding, replacing or deleting a method on the listener
 * later changes nothing (remove it and add it again).
 *
 * Every notification is isolated: a throw or a rejection goes to `onError`. One made while
 * another is being delivered (a listener that moves the breaker) waits until that one has reached
 * every listener, so that every listener hears every change, in order.
 */
export class ListenerSet {
  /** Each listener with the hook functions it had when it was added. */
  /** Made at the first listener: many breakers have none. */
  #all: { readonly listener: CircuitBreakerListenerHooks; readonly hooks: HookTable }[] | undefined;
  #lists: Lists = NO_LISTS;
  readonly #onError: ListenerErrorHandler;
  #delivering = false;
  #queue: Queued[] | undefined;

  constructor(onError: ListenerErrorHandler) {
    this.#onError = onError;
  }

  get all(): readonly CircuitBreakerListenerHooks[] {
    return this.#all?.map((entry) => entry.listener) ?? [];
  }

  get hasBeforeCall(): boolean {
    return this.#lists.beforeCall !== undefined;
  }

  /** Whether a hook takes the call's duration: calls must then be timed. */
  get needsDurations(): boolean {
    const lists = this.#lists;
    return (
      lists.success !== undefined || lists.failure !== undefined || lists.timeout !== undefined
    );
  }

  /** Whether a hook hears changes of state or mode (made elsewhere too, over a shared storage). */
  get hearsChanges(): boolean {
    return this.#lists.stateChange !== undefined || this.#lists.modeChange !== undefined;
  }

  add(listener: CircuitBreakerListenerHooks): void {
    assertListener(listener);
    const table: HookTable = {};
    for (const hook of hooks) {
      const fn = listener[hook];
      if (typeof fn === "function" && fn !== baseHooks[hook]) table[hook] = fn as Hook;
    }
    (this.#all ??= []).push({ listener, hooks: table });
    this.#index();
  }

  remove(listener: CircuitBreakerListenerHooks): boolean {
    const all = this.#all;
    const at = all?.findIndex((entry) => entry.listener === listener) ?? -1;
    if (all === undefined || at === -1) return false;
    all.splice(at, 1);
    this.#index();
    return true;
  }

  beforeCall(
    breaker: CircuitBreaker,
    fn: (...args: never[]) => unknown,
    args: readonly unknown[],
  ): void {
    const list = this.#lists.beforeCall;
    if (list !== undefined) this.#emit(list, "beforeCall", breaker, fn, args, undefined);
  }

  success(breaker: CircuitBreaker, info: CallInfo): void {
    const list = this.#lists.success;
    if (list !== undefined) this.#emit(list, "success", breaker, info, undefined, undefined);
  }

  failure(breaker: CircuitBreaker, error: unknown, info: CallInfo): void {
    const list = this.#lists.failure;
    if (list !== undefined) this.#emit(list, "failure", breaker, error, info, undefined);
  }

  stateChange(
    breaker: CircuitBreaker,
    oldState: CircuitBreakerState,
    newState: CircuitBreakerState,
  ): void {
    const list = this.#lists.stateChange;
    if (list !== undefined) this.#emit(list, "stateChange", breaker, oldState, newState, undefined);
  }

  rejected(breaker: CircuitBreaker, error: Error): void {
    const list = this.#lists.rejected;
    if (list !== undefined) this.#emit(list, "rejected", breaker, error, undefined, undefined);
  }

  timeout(breaker: CircuitBreaker, error: unknown, info: CallInfo): void {
    const list = this.#lists.timeout;
    if (list !== undefined) this.#emit(list, "timeout", breaker, error, info, undefined);
  }

  neutral(breaker: CircuitBreaker, reason: NeutralReason): void {
    const list = this.#lists.neutral;
    if (list !== undefined) this.#emit(list, "neutral", breaker, reason, undefined, undefined);
  }

  slow(breaker: CircuitBreaker, duration: number): void {
    const list = this.#lists.slow;
    if (list !== undefined) this.#emit(list, "slow", breaker, duration, undefined, undefined);
  }

  modeChange(
    breaker: CircuitBreaker,
    oldMode: CircuitBreakerMode,
    newMode: CircuitBreakerMode,
  ): void {
    const list = this.#lists.modeChange;
    if (list !== undefined) this.#emit(list, "modeChange", breaker, oldMode, newMode, undefined);
  }

  #emit(
    list: readonly Entry[],
    hook: ListenerHook,
    breaker: CircuitBreaker,
    a: unknown,
    b: unknown,
    c: unknown,
  ): void {
    if (this.#delivering) {
      (this.#queue ??= []).push([list, hook, breaker, a, b, c]);
      return;
    }
    this.#delivering = true;
    try {
      this.#deliver(list, hook, breaker, a, b, c);
      const queue = this.#queue;
      if (queue !== undefined) {
        // Notifications made by listeners meanwhile, in the order they were made; more may join.
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          this.#deliver(...next);
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #deliver(
    list: readonly Entry[],
    hook: ListenerHook,
    breaker: CircuitBreaker,
    a: unknown,
    b: unknown,
    c: unknown,
  ): void {
    // Indexed, not `for...of`: the array iterator costs about 90 instructions a delivery here.
    // eslint-disable-next-line @typescript-eslint/prefer-for-of -- see above
    for (let at = 0; at < list.length; at++) {
      const entry = list[at] as Entry;
      const listener = entry[0];
      const fn = entry[1];
      try {
        const result = fn.call(listener, breaker, a, b, c);
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

  /** Hands an error to the handler; a handler that throws falls back to the console. */
  report(error: unknown, source: ErrorSource): void {
    try {
      const result = this.#onError(error, source);
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
      const list: Entry[] = [];
      for (const { listener, hooks: table } of this.#all ?? []) {
        const fn = table[hook];
        if (fn !== undefined) list.push([listener, fn]);
      }
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
