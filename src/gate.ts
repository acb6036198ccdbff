import type { CircuitBreakerError } from "./errors.js";
import type { CircuitBreakerState } from "./state.js";

/**
 * What a breaker knows about one generation of its storage: the state calls are admitted in, and
 * the settle handlers for them, made once per generation so that a call allocates no closure.
 */
export interface Epoch {
  readonly generation: number;
  readonly state: CircuitBreakerState;
  readonly onFulfilled: (value: unknown) => unknown;
  readonly onRejected: (error: unknown) => never;
}

/** A breaker's call path, handed to the wrappers that `protect` builds. Internal. */
export interface CallGate {
  /** Admits a call (an epoch) or refuses it (the error to raise). */
  admit(): Epoch | CircuitBreakerError;
  beforeCall(fn: (...args: never[]) => unknown, args: readonly unknown[]): void;
  settleSuccess(epoch: Epoch): void;
  /** Records a failure and returns what the caller should get: the error, or a trip's error. */
  settleFailure(epoch: Epoch, error: unknown): unknown;
  /** Records neither outcome; frees a trial slot. */
  settleNeutral(epoch: Epoch): void;
  /** The whole guarded call: admit, run `fn` with `thisArg`, settle. */
  run(fn: (...args: never[]) => unknown, thisArg: unknown, args: unknown[]): Promise<unknown>;
}
