import { SIGNAL_IN_CONTEXT, type CallPolicy } from "./call-policy.js";
import { callerSignal } from "./caller-signal.js";
import { describeValue } from "./describe.js";
import type { Fallback, FailureResultPredicate } from "./options.js";
import { assertOptionNames } from "./options.js";
import { assertFunction, assertPredicate } from "./validate.js";

/** Options of `execute`, typed from the function's result. */
export interface ExecuteOptions<Result = unknown> {
  /** The caller's signal: aborting it ends the call at once (neutral, or a timeout if its reason is a `TimeoutError`). */
  signal?: AbortSignal | undefined;
  /** Runs instead of a rejected or failed call; replaces the breaker's own `fallback`. */
  fallback?: ((error: unknown) => Awaited<Result> | PromiseLike<Awaited<Result>>) | undefined;
  /** Judges the result, replacing the breaker's own `isFailureResult`. */
  isFailureResult?: ((result: Awaited<Result>) => boolean) | undefined;
}

const executeOptionNames: ReadonlySet<string> = new Set(["signal", "fallback", "isFailureResult"]);

/** `execute` with neither a fallback nor a result predicate of its own. */
const EXECUTE_POLICY: CallPolicy = Object.freeze({
  fallback: undefined,
  isFailureResult: undefined,
  signalAt: SIGNAL_IN_CONTEXT,
});

/** Checks `execute`'s options; throws a `TypeError` naming a bad one. */
export function readExecuteOptions(options: unknown): {
  policy: CallPolicy;
  signal: AbortSignal | undefined;
} {
  if (options === undefined) return { policy: EXECUTE_POLICY, signal: undefined };
  assertOptionNames(options, executeOptionNames, "execute options");
  const signal = callerSignal(options["signal"], "execute options: signal");
  if (signal instanceof Error) throw signal;
  const fallback = options["fallback"];
  if (fallback !== undefined) assertFunction("fallback", fallback);
  const isFailureResult = options["isFailureResult"];
  if (isFailureResult !== undefined) assertPredicate("isFailureResult", isFailureResult);
  if (fallback === undefined && isFailureResult === undefined) {
    return { policy: EXECUTE_POLICY, signal };
  }
  return {
    policy: {
      fallback: fallback as Fallback | undefined,
      isFailureResult: isFailureResult as FailureResultPredicate | undefined,
      signalAt: SIGNAL_IN_CONTEXT,
    },
    signal,
  };
}

/** `execute` refuses a non-function with this, as a rejection. */
export function notAFunction(method: string, value: unknown): TypeError {
  return new TypeError(`${method} expects a function, got ${describeValue(value)}`);
}
