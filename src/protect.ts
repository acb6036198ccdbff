import { describeValue } from "./describe.js";
import { guardGenerator } from "./guarded-generator.js";
import type { CallGate } from "./gate.js";
import type { Fallback } from "./options.js";
import { assertBoolean, assertFunction } from "./validate.js";
import { isPlainPromise, observe } from "./thenable.js";

/** Marks a wrapper so that `call()` on the breaker that built it does not count it twice. */
export const ignoredBy: unique symbol = Symbol("aiobreaker.ignoredBy");

/** Options of `protect`. */
export interface ProtectOptions {
  /**
   * When true (the default), `breaker.call(guarded)` on the same breaker runs the wrapper without
   * counting the outcome a second time.
   */
  ignoreOnCall?: boolean;
  /**
   * Runs instead of a rejected or failed call, with the error and the call's arguments; replaces
   * the breaker's own `fallback` for this function. Not used for generator functions.
   */
  fallback?: Fallback;
}

type AnyFunction = (this: never, ...args: never[]) => unknown;

/** What `protect(fn)` returns: generator functions keep their type, others return a promise. */
export type Guarded<F> = F extends (this: infer This, ...args: infer Args) => infer Result
  ? Result extends Generator | AsyncGenerator
    ? F
    : (this: This, ...args: Args) => Promise<Awaited<Result>>
  : never;

/** `breaker.protect`: a wrapper factory and a decorator (standard or legacy). */
export interface Protect {
  /** Wraps `fn`. */
  <F extends AnyFunction>(fn: F, options?: ProtectOptions): Guarded<F>;
  /** A standard (TC39) method decorator. */
  <This, Args extends unknown[], Result>(
    method: (this: This, ...args: Args) => Result,
    context: ClassMethodDecoratorContext<This>,
  ): (this: This, ...args: Args) => Result;
  /** A legacy (`experimentalDecorators`) method decorator. */
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor;
  /** A decorator with options: `@breaker.protect({ ignoreOnCall: false })`. */
  (options: ProtectOptions): ProtectDecorator;
}

/** What `protect(options)` returns: a method decorator, standard or legacy, or a wrapper factory. */
export interface ProtectDecorator {
  /** A standard (TC39) method decorator, or a plain wrapper: `protect(options)(fn)`. */
  <F extends AnyFunction>(fn: F, context?: unknown): Guarded<F>;
  /** A legacy (`experimentalDecorators`) method decorator. */
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: PropertyDescriptor,
  ): PropertyDescriptor;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {
  /* a generator function's prototype */
}) as object;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {
  /* an async generator function's prototype */
}) as object;

/** Builds `breaker.protect` over the breaker's call gate. */
export function createProtect(gate: CallGate, breaker: object): Protect {
  const wrap = (fn: unknown, options: unknown): unknown => {
    if (typeof fn !== "function") {
      throw new TypeError(`protect expects a function, got ${describeValue(fn)}`);
    }
    const { ignoreOnCall, fallback } = readOptions(options);
    const target = fn as (...args: never[]) => unknown;
    const proto = Object.getPrototypeOf(fn) as unknown;
    let guarded: (...args: unknown[]) => unknown;
    if (proto === GeneratorFunction) guarded = guardGenerator(gate, target, false);
    else if (proto === AsyncGeneratorFunction) guarded = guardGenerator(gate, target, true);
    else {
      guarded = function (this: unknown, ...args: unknown[]) {
        const epoch = fallback === undefined ? gate.plainEpoch(args) : undefined;
        if (epoch === undefined) return gate.run(target, this, args, fallback);
        let result: unknown;
        let plain: boolean;
        try {
          result = args.length === 0 ? target.call(this) : Reflect.apply(target, this, args);
          plain = isPlainPromise(result);
        } catch (error) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
          return Promise.reject(gate.settleFailure(epoch, error));
        }
        if (plain) {
          gate.pending++;
          return observe(result as Promise<unknown>, epoch.onFulfilled, epoch.onRejected);
        }
        return gate.settleValue(epoch, result);
      };
    }
    Object.defineProperty(guarded, "name", { value: fn.name, configurable: true });
    Object.defineProperty(guarded, "length", { value: fn.length, configurable: true });
    if (ignoreOnCall) Object.defineProperty(guarded, ignoredBy, { value: breaker });
    return guarded;
  };

  const decorate = (key: unknown, descriptor: PropertyDescriptor, options: unknown) => {
    if (typeof descriptor.value !== "function") {
      throw new TypeError(
        `@protect decorates methods; ${describeValue(key)} is ${describeValue(descriptor.value)}`,
      );
    }
    return { ...descriptor, value: wrap(descriptor.value, options) };
  };

  return function protect(first: unknown, second?: unknown, third?: unknown): unknown {
    // Legacy decorator: (prototype or, for a static method, the constructor, key, descriptor).
    // Checked first: a static method's target is a function, like `protect(fn, options)`'s.
    if (isLegacyDecoratorCall(first, second, third)) return decorate(second, third, undefined);
    if (typeof first === "function") {
      // Standard decorator: (method, context); plain use: (fn, options?).
      if (isDecoratorContext(second)) return wrap(first, undefined);
      return wrap(first, second);
    }
    if (second === undefined && typeof first === "object" && first !== null) {
      readOptions(first);
      return (value: unknown, context?: unknown, descriptor?: unknown) => {
        if (isLegacyDecoratorCall(value, context, descriptor)) {
          return decorate(context, descriptor, first);
        }
        if (context !== undefined && !isDecoratorContext(context)) {
          throw new TypeError(
            `protect(options) returns a decorator; got ${describeValue(context)}`,
          );
        }
        return wrap(value, first);
      };
    }
    throw new TypeError(`protect expects a function, got ${describeValue(first)}`);
  } as Protect;
}

const protectOptionNames: ReadonlySet<string> = new Set(["ignoreOnCall", "fallback"]);

function readOptions(options: unknown): { ignoreOnCall: boolean; fallback: Fallback | undefined } {
  if (options === undefined) return { ignoreOnCall: true, fallback: undefined };
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`protect options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!protectOptionNames.has(key)) {
      throw new TypeError(
        `unknown protect option ${JSON.stringify(key)}; protect takes: ignoreOnCall, fallback`,
      );
    }
  }
  const { ignoreOnCall = true, fallback } = options as ProtectOptions;
  assertBoolean("ignoreOnCall", ignoreOnCall);
  if (fallback !== undefined) assertFunction("fallback", fallback);
  return { ignoreOnCall, fallback };
}

function isDecoratorContext(value: unknown): boolean {
  return typeof value === "object" && value !== null && "kind" in value && "name" in value;
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
