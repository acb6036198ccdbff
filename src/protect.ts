import { BREAKER_POLICY, NO_SIGNAL, type CallPolicy } from "./call-policy.js";
import { describeValue } from "./describe.js";
import type { CallGate } from "./gate.js";
import type { Fallback, FailureResultPredicate } from "./options.js";
import { assertBoolean, assertFunction, assertPredicate } from "./validate.js";
import { isUntouchedPromise } from "./thenable.js";
import { callerSignal } from "./caller-signal.js";

/** Marks a wrapper so that `call()` on the breaker that built it does not count it twice. */
export const ignoredBy: unique symbol = Symbol("aiobreaker.ignoredBy");

type AnyFunction = (this: never, ...args: never[]) => unknown;

/** What a guarded function's fallback may return: its result, sync or as a promise. */
type FallbackResult<Result> = Awaited<Result> | PromiseLike<Awaited<Result>>;

/**
 * Options of `protect`, typed from the function it guards: the fallback gets its parameters and
 * must return its result type, and `isFailureResult` judges its result.
 */
export interface ProtectOptions<Args extends unknown[] = never, Result = unknown> {
  /**
   * When true (the default), `breaker.call(guarded)` on the same breaker runs the wrapper without
   * counting the outcome a second time.
   */
  ignoreOnCall?: boolean | undefined;
  /**
   * Runs instead of a rejected or failed call, with the error and the call's arguments; replaces
   * the breaker's own `fallback` for this function.
   */
  fallback?: ((error: unknown, ...args: Args) => FallbackResult<Result>) | undefined;
  /** Judges the function's result, replacing the breaker's own `isFailureResult`. */
  isFailureResult?: ((result: Awaited<Result>) => boolean) | undefined;
  /**
   * `"last"`: the function's last declared parameter (`fn.length - 1`) is its signal. The caller
   * passes an `AbortSignal` (or `undefined`) there, and the function gets in that place the
   * call's own signal, which aborts on the caller's signal or on `callTimeout`, whichever comes
   * first. Declare that parameter without a default value, so that it counts in `fn.length`.
   */
  signal?: "last" | undefined;
}

/**
 * What `protect(fn)` returns: the same parameters and `this`, returning a promise of the
 * result. A function whose result is a generator (a generator function, or one that returns
 * one) resolves to a generator guarded over its iteration.
 */
export type Guarded<F> = F extends (this: infer This, ...args: infer Args) => infer Result
  ? (this: This, ...args: Args) => Promise<Awaited<Result>>
  : never;

/** The parameters a function guarded with `signal: "last"` takes: its own, the signal optional. */
type WithCallerSignal<Args extends unknown[]> = Args extends [...infer Head, AbortSignal]
  ? [...Head, signal?: AbortSignal | undefined]
  : Args;

/** What `protect(fn, { signal: "last" })` returns. */
export type GuardedWithSignal<F> = F extends (this: infer This, ...args: infer Args) => infer Result
  ? (this: This, ...args: WithCallerSignal<Args>) => Promise<Awaited<Result>>
  : never;

/** `breaker.protect`: a wrapper factory and a decorator (standard or legacy). */
export interface Protect {
  /** Wraps `fn`, its last parameter being the call's signal. */
  <Args extends [...unknown[], AbortSignal], Result, This = unknown>(
    fn: (this: This, ...args: Args) => Result,
    options: ProtectOptions<Args, Result> & { signal: "last" },
  ): GuardedWithSignal<(this: This, ...args: Args) => Result>;
  /** Wraps `fn`. */
  <Args extends unknown[], Result, This = unknown>(
    fn: (this: This, ...args: Args) => Result,
    options?: ProtectOptions<Args, Result>,
  ): (this: This, ...args: Args) => Promise<Awaited<Result>>;
  /** A standard (TC39) method decorator. */
  <This, Args extends unknown[], Result>(
    method: (this: This, ...args: Args) => Result,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Result>,
  ): (this: This, ...args: Args) => Promise<Awaited<Result>>;
  /** A legacy (`experimentalDecorators`) method decorator. */
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor;
  /** A decorator with options: `@breaker.protect({ signal: "last", fallback })`. */
  (options: ProtectOptions): ProtectDecorator;
}

/** What `protect(options)` returns: a method decorator, standard or legacy, or a wrapper factory. */
export interface ProtectDecorator {
  /** A standard (TC39) method decorator. */
  <This, Args extends unknown[], Result>(
    method: (this: This, ...args: Args) => Result,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Result>,
  ): (this: This, ...args: Args) => Promise<Awaited<Result>>;
  /** A plain wrapper: `protect(options)(fn)`. */
  <F extends AnyFunction>(fn: F): Guarded<F>;
  /** A legacy (`experimentalDecorators`) method decorator. */
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor;
}

interface ReadOptions {
  readonly ignoreOnCall: boolean;
  readonly fallback: Fallback | undefined;
  readonly isFailureResult: FailureResultPredicate | undefined;
  readonly signal: "last" | undefined;
}

/** Builds `breaker.protect` over the breaker's call gate. */
export function createProtect(gate: CallGate, breaker: object): Protect {
  const wrap = (fn: unknown, options: ReadOptions): unknown => {
    if (typeof fn !== "function") {
      throw new TypeError(`protect expects a function, got ${describeValue(fn)}`);
    }
    if (isClass(fn)) {
      throw new TypeError(
        `protect guards functions and methods, got ${describeValue(fn)}: \`new\` on a guarded class would give a promise`,
      );
    }
    const target = fn as (...args: never[]) => unknown;
    const policy = policyFor(target, options);
    const signalAt = policy.signalAt;
    const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      if (policy === BREAKER_POLICY) {
        const epoch = gate.plainEpoch();
        if (epoch !== undefined) {
          // The shortest path, run here so that no other frame of the breaker is on the stack.
          let result: unknown;
          let plain: boolean;
          try {
            result =
              args.length === 0
                ? target.call(this)
                : args.length === 1
                  ? target.call(this, args[0] as never)
                  : Reflect.apply(target, this, args);
            plain = isUntouchedPromise(result);
          } catch (error) {
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
            return Promise.reject(gate.settleFailure(epoch, error, false, -1));
          }
          if (plain) {
            gate.pending++;
            return (result as Promise<unknown>).then(epoch.onFulfilled, epoch.onRejected);
          }
          return gate.settleValue(epoch, result);
        }
        return gate.run(target, this, args, policy, undefined);
      }
      if (signalAt === NO_SIGNAL) return gate.run(target, this, args, policy, undefined);
      const signal = callerSignal(args[signalAt], `argument ${String(signalAt + 1)} (the signal)`);
      if (signal instanceof Error) return Promise.reject(signal);
      return gate.run(target, this, args, policy, signal);
    };
    Object.defineProperty(guarded, "name", { value: fn.name, configurable: true });
    Object.defineProperty(guarded, "length", { value: fn.length, configurable: true });
    if (options.ignoreOnCall) Object.defineProperty(guarded, ignoredBy, { value: breaker });
    return guarded;
  };

  const decorate = (key: unknown, descriptor: PropertyDescriptor, options: ReadOptions) => {
    if (typeof descriptor.value !== "function") {
      throw new TypeError(
        `@protect decorates methods; ${describeValue(key)} is ${descriptor.get !== undefined || descriptor.set !== undefined ? "an accessor" : describeValue(descriptor.value)}`,
      );
    }
    return { ...descriptor, value: wrap(descriptor.value, options) };
  };

  return function protect(first: unknown, second?: unknown, third?: unknown): unknown {
    // Legacy decorator: (prototype or, for a static method, the constructor, key, descriptor).
    // Checked first: a static method's target is a function, like `protect(fn, options)`'s.
    if (isLegacyDecoratorCall(first, second, third)) {
      return decorate(second, third, readOptions(undefined));
    }
    if (typeof first === "function") {
      // Standard decorator: (method, context); plain use: (fn, options?).
      if (isDecoratorContext(second)) return wrap(first, readOptions(undefined, second));
      return wrap(first, readOptions(second));
    }
    if (second === undefined && typeof first === "object" && first !== null) {
      const options = readOptions(first);
      return (value: unknown, context?: unknown, descriptor?: unknown) => {
        if (isLegacyDecoratorCall(value, context, descriptor)) {
          return decorate(context, descriptor, options);
        }
        if (context !== undefined && !isDecoratorContext(context)) {
          throw new TypeError(
            `protect(options) returns a decorator; got ${describeValue(context)}`,
          );
        }
        return wrap(value, readOptions(first, context));
      };
    }
    throw new TypeError(`protect expects a function, got ${describeValue(first)}`);
  } as Protect;
}

/** The call policy for `fn` under `options`: the breaker's own unless they add something. */
function policyFor(fn: (...args: never[]) => unknown, options: ReadOptions): CallPolicy {
  const { fallback, isFailureResult, signal } = options;
  if (fallback === undefined && isFailureResult === undefined && signal === undefined) {
    return BREAKER_POLICY;
  }
  let signalAt = NO_SIGNAL;
  if (signal === "last") {
    if (fn.length === 0) {
      throw new TypeError(
        `protect(fn, { signal: "last" }) needs fn to declare its signal as its last parameter, without a default value; ${describeValue(fn)} declares none (fn.length is 0)`,
      );
    }
    signalAt = fn.length - 1;
  }
  return { fallback, isFailureResult, signalAt };
}

const protectOptionNames: ReadonlySet<string> = new Set([
  "ignoreOnCall",
  "fallback",
  "isFailureResult",
  "signal",
]);

/** Checks `protect`'s options (and, for a standard decorator, that it decorates a method). */
function readOptions(options: unknown, context?: unknown): ReadOptions {
  if (context !== undefined) assertMethodContext(context);
  if (options === undefined) {
    return {
      ignoreOnCall: true,
      fallback: undefined,
      isFailureResult: undefined,
      signal: undefined,
    };
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`protect options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!protectOptionNames.has(key)) {
      throw new TypeError(
        `unknown protect option ${JSON.stringify(key)}; protect takes: ${[...protectOptionNames].join(", ")}`,
      );
    }
    if ((options as Record<string, unknown>)[key] === null) {
      throw new TypeError(
        `protect options: ${key} must not be null; leave it out or pass undefined for the default`,
      );
    }
  }
  const {
    ignoreOnCall = true,
    fallback,
    isFailureResult,
    signal,
  } = options as Record<string, unknown>;
  assertBoolean("ignoreOnCall", ignoreOnCall);
  if (fallback !== undefined) assertFunction("fallback", fallback);
  if (isFailureResult !== undefined) assertPredicate("isFailureResult", isFailureResult);
  if (signal !== undefined && signal !== "last") {
    throw new TypeError(`protect option signal must be "last", got ${describeValue(signal)}`);
  }
  return {
    ignoreOnCall,
    fallback: fallback as Fallback | undefined,
    isFailureResult: isFailureResult as FailureResultPredicate | undefined,
    signal: signal,
  };
}

function isClass(fn: object): boolean {
  try {
    return /^class\b/.test(Function.prototype.toString.call(fn));
  } catch {
    // A Proxy around a function: whatever it is, it is called, not constructed, here.
    return false;
  }
}

function isDecoratorContext(value: unknown): value is { kind: unknown; name: unknown } {
  return typeof value === "object" && value !== null && "kind" in value && "name" in value;
}

/**
 * A standard decorator may be applied to a class, a field, a getter, a setter or an accessor:
 * only methods make calls to guard. (Guarding a class would make `new` return a promise.)
 */
function assertMethodContext(context: unknown): void {
  if (!isDecoratorContext(context) || context.kind === "method") return;
  throw new TypeError(
    `@protect decorates methods; got a ${describeValue(context.kind)} decorator context for ${describeValue(context.name)}`,
  );
}

function isPropertyDescriptor(value: unknown): value is PropertyDescriptor {
  return (
    typeof value === "object" &&
    value !== null &&
    ("value" in value || "get" in value || "set" in value)
  );
}

/** `(target, key, descriptor)`: how `experimentalDecorators` calls a method decorator. */
function isLegacyDecoratorCall(
  target: unknown,
  key: unknown,
  descriptor: unknown,
): descriptor is PropertyDescriptor {
  return (
    (typeof target === "function" || (typeof target === "object" && target !== null)) &&
    (typeof key === "string" || typeof key === "symbol") &&
    isPropertyDescriptor(descriptor)
  );
}
