import type { CallPolicy } from "./call-policy.js";
import type { DeadlineQueue } from "./deadline-queue.js";
import type { CallTraceContext } from "./diagnostics.js";
import type { NeutralReason } from "./listener.js";
import type { CircuitBreakerMode } from "./mode.js";
import type { CircuitBreakerState } from "./state.js";

/**
 * What a breaker knows about one generation of its storage: the state and mode calls are
 * admitted in, and the settle handlers for them, made once per generation so that a call
 * allocates no closure.
 */
export interface Epoch {
  readonly generation: number;
  readonly state: CircuitBreakerState;
  readonly mode: CircuitBreakerMode;
  /** The state the breaker reports: `"open"` while forced open, whatever the storage says. */
  readonly reported: CircuitBreakerState;
  /** Admitted while the breaker was disabled: outcomes are recorded, nothing is decided. */
  readonly disabled: boolean;
  /** Calls are admitted without asking: closed and enabled, or disabled. */
  readonly direct: boolean;
  /**
   * Direct, and nothing else to do around the call (no timeout, fallback, result predicate,
   * slow-call clock, duration, or `beforeCall` listener): `call` may take its shortest path.
   */
  readonly plain: boolean;
  /** Direct, with a `callTimeout` and nothing else around the call: the lean timed path. */
  readonly timed: boolean;
  /** Direct, with nothing around the call but a hook that takes its duration: the lean measured path. */
  readonly measured: boolean;
  readonly onFulfilled: (value: unknown) => unknown;
  readonly onRejected: (error: unknown) => never;
}

/** How a call's error counts, decided once per error: exclusion predicates are user code. */
export type FailureKind =
  typeof COUNTED | typeof OWN_REJECTION | typeof EXCLUDED | typeof TIMED_OUT;
/** A failure. */
export const COUNTED = 0;
/** A rejection raised by the same breaker: neither outcome. */
export const OWN_REJECTION = 1;
/** An excluded error: a success, as in aiobreaker. */
export const EXCLUDED = 2;
/** A timeout: a failure, counted in the stats as a timeout. */
export const TIMED_OUT = 3;

/** When a call's start was not measured (nothing needed its duration then). */
export const UNMEASURED = -1;

/** A breaker's call path, handed to the wrappers that `protect` builds. Internal. */
export interface CallGate {
  /**
   * Calls whose outcome is still to come and that no controlled call counts: shortest-path calls
   * handed to an epoch's reactions, and guarded generators between their first next() and end.
   */
  pending: number;
  /** For `halfOpenTimeout`, which guarded generators honour too. */
  readonly settings: { readonly halfOpenTimeout: number | undefined };
  /** The breaker's one timer queue for deadlines. */
  readonly deadlines: DeadlineQueue;
  /** Whether outcomes need the call's duration (a hook or a tracing subscriber takes it). */
  readonly needsDurations: boolean;
  /** Admits a call (an epoch) or refuses it (the error to raise, already reported). */
  admitReported(): Epoch | Error;
  beforeCall(fn: (...args: never[]) => unknown, args: readonly unknown[]): void;
  settleSuccess(epoch: Epoch, slow: boolean, start: number): void;
  /** Records a failure and returns what the caller should get: the error, or a trip's error. */
  settleFailure(epoch: Epoch, error: unknown, slow: boolean, start: number): unknown;
  /**
   * Records neither outcome; frees a trial slot. `reason` `undefined`: no `neutral` event;
   * `counted` false: not an outcome of its own (the slot of a call that goes on).
   */
  settleNeutral(
    epoch: Epoch,
    reason: NeutralReason | undefined,
    trace?: CallTraceContext,
    counted?: boolean,
  ): void;
  /** A call's start for its duration (`performance.now()`), or {@link UNMEASURED}. */
  startTime(): number;
  /**
   * The epoch under which a call may take the shortest path (nothing to set up), or `undefined`.
   * The caller then runs the function itself, so no frame of the breaker sits between it and the
   * function: every frame on the stack makes each `new Error` inside the function dearer.
   */
  plainEpoch(): Epoch | undefined;
  /** Settles a shortest-path call whose function returned something other than a plain promise. */
  settleValue(epoch: Epoch, result: unknown): Promise<unknown>;
  /** The whole guarded call: admit, run `fn` with `thisArg`, settle, as `policy` says. */
  run(
    fn: (...args: never[]) => unknown,
    thisArg: unknown,
    args: unknown[],
    policy: CallPolicy,
    signal: AbortSignal | undefined,
  ): Promise<unknown>;
}
