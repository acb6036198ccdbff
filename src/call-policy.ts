import type { Fallback, FailureResultPredicate } from "./options.js";

/** The call's arguments pass through untouched: no signal is given to the function. */
export const NO_SIGNAL = -1;
/** The function is called with one argument, a context whose `signal` is the call's (`execute`). */
export const SIGNAL_IN_CONTEXT = -2;

/**
 * How one guarded function is called, beyond what its breaker's settings say: what the options
 * of `protect` or `execute` add. Made once per protected function (or per `execute` call), so the
 * call path reads it instead of the options.
 */
export interface CallPolicy {
  /** Replaces the breaker's `fallback`; `undefined`: the breaker's. */
  readonly fallback: Fallback | undefined;
  /** Replaces the breaker's `isFailureResult`; `undefined`: the breaker's. */
  readonly isFailureResult: FailureResultPredicate | undefined;
  /**
   * Where the function gets the call's signal: {@link NO_SIGNAL}, {@link SIGNAL_IN_CONTEXT}, or
   * the index of the argument that carries it (`protect`'s `signal: "last"`).
   */
  readonly signalAt: number;
}

/** The policy of `call` and of a `protect`ed function given no options: the breaker's own. */
export const BREAKER_POLICY: CallPolicy = Object.freeze({
  fallback: undefined,
  isFailureResult: undefined,
  signalAt: NO_SIGNAL,
});
