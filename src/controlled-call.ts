import { monotonicNow } from "./monotonic.js";
import { CallTimeoutError, ConcurrencyLimitError, FailedResultError } from "./call-errors.js";
import { BREAKER_POLICY, SIGNAL_IN_CONTEXT, type CallPolicy } from "./call-policy.js";
import { CallContext, isTimeoutReason } from "./call-context.js";
import type { CallCounters } from "./call-stats.js";
import type { Clock } from "./clock.js";
import type { Deadline } from "./deadline-queue.js";
import type { CallTraceContext } from "./diagnostics.js";
import { COUNTED, TIMED_OUT, type CallGate, type Epoch, type FailureKind } from "./gate.js";
import type { ErrorSource, Fallback, FailureResultPredicate } from "./options.js";
import type { Settings } from "./settings.js";
import { guardedIteration } from "./settle-value.js";
import { adoptThenable, isThenable, observe, watchRejection } from "./thenable.js";
import { runTimed } from "./timed-call.js";
import { PENDING_ROUNDS, TRIAL_PENDING, type TrialPending } from "./trial-pending.js";

type AnyFunction = (...args: never[]) => unknown;

/** What a controlled call needs from its breaker. Internal. */
export interface CallHost extends CallGate {
  /** The breaker's settings, replaced on `reconfigure`. */
  settings: Settings;
  readonly name: string | undefined;
  readonly clock: Clock;
  readonly counters: CallCounters;
  /** Calls whose work has not settled yet (for `maxConcurrentCalls`). */
  active: number;
  /** Admits a call or returns the refusal; `reserved`: a woken queue waiter's retry. */
  admit(reserved: boolean): Epoch | Error | TrialPending;
  /** Resolves when a shared storage may have answered a pending trial slot. */
  waitForStorage(signal: AbortSignal | undefined): Promise<void>;
  /** The refusal of a caller whose pending trial slot never came. */
  pendingRefusal(): Error;
  /** A woken waiter gives up its retry before `admit`: its reserved slot goes to the next one. */
  cancelReservation(): void;
  /** A wait for a trial slot, or `undefined` when `refusal` cannot wait (queue full, not half-open). */
  enqueue(refusal: Error, signal: AbortSignal | undefined): Promise<void> | undefined;
  /** Counts, publishes and reports a refusal. */
  refuse(error: Error): void;
  /** How `error` counts (asked once per error, then passed to `settleFailure`). */
  classify(error: unknown): FailureKind;
  settleSuccess(
    epoch: Epoch,
    slow: boolean,
    start: number,
    trace?: CallTraceContext,
    excluded?: boolean,
  ): void;
  settleFailure(
    epoch: Epoch,
    error: unknown,
    slow: boolean,
    start: number,
    kind?: FailureKind,
    trace?: CallTraceContext,
  ): unknown;
  timedOut(
    epoch: Epoch,
    error: unknown,
    slow: boolean,
    start: number,
    trace?: CallTraceContext,
  ): unknown;
  slow(duration: number): void;
  /** Frees a stuck trial's slot without a verdict (`halfOpenTimeout`). */
  releaseTrial(epoch: Epoch): void;
  /** A fallback is about to run. */
  countFallback(): void;
  /** A call that ended before it was admitted (its caller aborted): neutral, holding nothing. */
  abandoned(trace: CallTraceContext | undefined): void;
  readonly listeners: { report(error: unknown, source: ErrorSource): void };
}

/**
 * A call that needs more than the shortest path: admission (with the half-open queue, or a
 * pending trial slot from a shared storage), a concurrency slot, and then the lean timed path or
 * a {@link ControlledCall}. `trace` is the call's TracingChannel context when it is traced.
 */
export function runControlled(
  host: CallHost,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
  policy: CallPolicy,
  signal: AbortSignal | undefined,
  trace: CallTraceContext | undefined,
  reserved = false,
  rounds = 0,
): Promise<unknown> {
  // An already aborted call never starts: neither run nor refused.
  if (signal?.aborted === true) {
    if (reserved) host.cancelReservation();
    host.abandoned(trace);
    return Promise.reject(signal.reason as Error);
  }
  const fallback = policy.fallback ?? host.settings.fallback;
  const limit = host.settings.maxConcurrentCalls;
  if (limit !== undefined && host.active >= limit) {
    if (reserved) host.cancelReservation();
    return refuse(host, new ConcurrencyLimitError(host.name, limit), fallback, args, trace);
  }
  const admitted = host.admit(reserved);
  if (admitted === TRIAL_PENDING || admitted instanceof Error) {
    const retry = (queued: boolean) => () =>
      runControlled(host, fn, thisArg, args, policy, signal, trace, queued, rounds + 1);
    if (admitted === TRIAL_PENDING) {
      if (rounds >= PENDING_ROUNDS)
        return refuse(host, host.pendingRefusal(), fallback, args, trace);
      return host.waitForStorage(signal).then(retry(false), abandoned(host, trace));
    }
    const wait = host.enqueue(admitted, signal);
    if (wait !== undefined) return wait.then(retry(true), abandoned(host, trace));
    return refuse(host, admitted, fallback, args, trace);
  }
  const settings = host.settings;
  if (
    policy === BREAKER_POLICY &&
    signal === undefined &&
    trace === undefined &&
    fallback === undefined &&
    settings.isFailureResult === undefined &&
    settings.slowCallDuration === undefined &&
    (admitted.direct || settings.halfOpenTimeout === undefined)
  ) {
    return runTimed(host, admitted, fn, thisArg, args, settings.callTimeout);
  }
  return new ControlledCall(host, admitted, fn, thisArg, args, policy, signal, fallback, trace)
    .promise;
}

/** A caller who stopped waiting (its signal aborted): neither run nor refused. */
function abandoned(
  host: CallHost,
  trace: CallTraceContext | undefined,
): (reason: unknown) => never {
  return (reason) => {
    host.abandoned(trace);
    throw reason;
  };
}

function refuse(
  host: CallHost,
  error: Error,
  fallback: Fallback | undefined,
  args: unknown[],
  trace: CallTraceContext | undefined,
): Promise<unknown> {
  host.refuse(error);
  if (trace !== undefined) {
    trace.outcome = error instanceof ConcurrencyLimitError ? "concurrency_limited" : "rejected";
  }
  return fallback === undefined ? Promise.reject(error) : runFallback(host, fallback, error, args);
}

function runFallback(
  host: CallHost,
  fallback: Fallback,
  error: unknown,
  args: unknown[],
): Promise<unknown> {
  host.countFallback();
  try {
    return Promise.resolve(Reflect.apply(fallback, undefined, [error, ...args]));
  } catch (fallbackError) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a fallback may throw anything; the caller gets it as it was
    return Promise.reject(fallbackError);
  }
}

/**
 * Whether `judge` counts `value` as a failure. A predicate that throws, or answers with a
 * promise, counts nothing (the value is a success) and is reported as `"isFailureResult"`.
 */
export function judgedFailure(
  host: Pick<CallHost, "listeners">,
  judge: FailureResultPredicate,
  value: unknown,
): boolean {
  try {
    const verdict: unknown = judge(value);
    if (!isThenable(verdict)) return Boolean(verdict);
    if (verdict instanceof Promise) {
      watchRejection(verdict, (error) => {
        host.listeners.report(error, "isFailureResult");
      });
    }
    host.listeners.report(
      new TypeError(
        "isFailureResult must answer synchronously; it returned a promise, so the result counts as a success",
      ),
      "isFailureResult",
    );
  } catch (error) {
    host.listeners.report(error, "isFailureResult");
  }
  return false;
}

/**
 * One call with everything around it: a timeout, a caller's signal (and the signal handed to the
 * function), a start time for slow-call detection and durations, a concurrency slot, a fallback,
 * a result predicate, a half-open trial deadline, a trace. It allocates per call; the shortest
 * path does not.
 */
class ControlledCall implements Deadline {
  deadline = 0;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  readonly promise: Promise<unknown>;
  readonly #host: CallHost;
  #epoch: Epoch;
  readonly #args: unknown[];
  readonly #policy: CallPolicy;
  readonly #signal: AbortSignal | undefined;
  readonly #fallback: Fallback | undefined;
  readonly #trace: CallTraceContext | undefined;
  readonly #timeout: number | undefined;
  /** For durations (monotonic), or UNMEASURED. */
  readonly #start: number;
  /** For slow-call detection, on the breaker's clock. */
  readonly #slowStart: number;
  /** The signal the function gets, made when it is asked for. */
  #controller: AbortController | undefined;
  /** Why the call ended before its work did: the function's signal aborts with it. */
  #endReason: unknown;
  #trialDeadline: TrialDeadline | undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  /** The outcome is decided (the caller has its answer). */
  #decided = false;
  /** The work itself has settled (its concurrency slot is free). */
  #workDone = false;

  constructor(
    host: CallHost,
    epoch: Epoch,
    fn: AnyFunction,
    thisArg: unknown,
    args: unknown[],
    policy: CallPolicy,
    signal: AbortSignal | undefined,
    fallback: Fallback | undefined,
    trace: CallTraceContext | undefined,
  ) {
    this.#host = host;
    this.#epoch = epoch;
    this.#args = args;
    this.#policy = policy;
    this.#signal = signal;
    this.#fallback = fallback;
    this.#trace = trace;
    const settings = host.settings;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    host.active++;
    const timeout = settings.callTimeout;
    this.#timeout = timeout;
    signal?.addEventListener("abort", this);
    if (timeout !== undefined) host.deadlines.add(this, timeout);
    const halfOpenTimeout = settings.halfOpenTimeout;
    if (!epoch.direct && halfOpenTimeout !== undefined) {
      this.#trialDeadline = new TrialDeadline(this);
      host.deadlines.add(this.#trialDeadline, halfOpenTimeout);
    }
    this.#start = trace === undefined ? host.startTime() : monotonicNow();
    this.#slowStart = settings.slowCallDuration === undefined ? 0 : host.clock.now();
    host.beforeCall(fn, args);
    let result: unknown;
    try {
      result = Reflect.apply(fn, thisArg, this.#callArgs(args));
    } catch (error) {
      this.#workSettled();
      this.#failed(error);
      return;
    }
    const work = adoptThenable(result);
    if (work !== undefined) {
      void observe(
        work,
        (value) => {
          this.#workSettled();
          this.#succeeded(value);
        },
        (error: unknown) => {
          this.#workSettled();
          this.#failed(error);
        },
      );
      return;
    }
    this.#workSettled();
    const iteration = guardedIteration(host, epoch, result);
    if (iteration !== undefined && this.#decide()) this.#resolve(iteration);
    else this.#succeeded(result);
  }

  /** The arguments the function is called with: the caller's, or with the call's signal in. */
  #callArgs(args: unknown[]): unknown[] {
    const at = this.#policy.signalAt;
    if (at === SIGNAL_IN_CONTEXT) return [new CallContext(this)];
    if (at < 0) return args;
    const callArgs = args.slice();
    while (callArgs.length < at) callArgs.push(undefined);
    callArgs[at] = this.functionSignal();
    return callArgs;
  }

  /**
   * The signal the function gets: the caller's own when nothing else can end the call, else one
   * of this call's that aborts on the caller's abort or on the timeout, whichever comes first.
   */
  functionSignal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    if (this.#timeout === undefined && this.#signal !== undefined) return this.#signal;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#decided && this.#endReason !== undefined) controller.abort(this.#endReason);
    return controller.signal;
  }

  /** The caller's signal aborted: neutral, or a timeout if its reason says the caller's deadline passed. */
  handleEvent(): void {
    if (!this.#decide()) return;
    const host = this.#host;
    const reason = (this.#signal as AbortSignal).reason as unknown;
    this.#end(reason);
    if (isTimeoutReason(reason)) {
      this.#fail(host.timedOut(this.#epoch, reason, this.#slow(), this.#start, this.#trace), true);
      return;
    }
    host.settleNeutral(this.#epoch, "aborted", this.#trace);
    this.#reject(reason);
  }

  /** `callTimeout` passed: the call fails now with `CallTimeoutError`. */
  expire(): void {
    if (!this.#decide()) return;
    const host = this.#host;
    const error = new CallTimeoutError(host.name, this.#timeout ?? 0);
    this.#end(error);
    this.#fail(host.timedOut(this.#epoch, error, this.#slow(), this.#start, this.#trace), true);
  }

  /** `halfOpenTimeout` passed: the trial slot is freed, and this call no longer decides. */
  releaseTrial(): void {
    if (this.#decided) return;
    this.#host.releaseTrial(this.#epoch);
    this.#epoch = { ...this.#epoch, generation: -1 };
  }

  #succeeded(value: unknown): void {
    if (!this.#decide()) return;
    const host = this.#host;
    const judge = this.#policy.isFailureResult ?? host.settings.isFailureResult;
    if (judge !== undefined && judgedFailure(host, judge, value)) {
      // Recorded as a failure; the caller still gets the value, even from a call that trips.
      const error = new FailedResultError(host.name, value);
      host.settleFailure(this.#epoch, error, this.#slow(), this.#start, COUNTED, this.#trace);
    } else {
      host.settleSuccess(this.#epoch, this.#slow(), this.#start, this.#trace);
    }
    this.#resolve(value);
  }

  #failed(error: unknown): void {
    if (!this.#decide()) return;
    // A caller's abort decides first (its listener is added before the work starts), so the
    // work's own rejection after an abort never arrives here.
    const host = this.#host;
    const kind = host.classify(error);
    const raised = host.settleFailure(
      this.#epoch,
      error,
      this.#slow(),
      this.#start,
      kind,
      this.#trace,
    );
    this.#fail(raised, kind === COUNTED || kind === TIMED_OUT);
  }

  #fail(raised: unknown, useFallback: boolean): void {
    const fallback = this.#fallback;
    if (fallback !== undefined && useFallback) {
      void observe(
        runFallback(this.#host, fallback, raised, this.#args),
        this.#resolve,
        this.#reject,
      );
    } else {
      this.#reject(raised);
    }
  }

  /** The call ended before its work: the function's signal, if it asked for one, says why. */
  #end(reason: unknown): void {
    this.#endReason = reason;
    this.#controller?.abort(reason);
  }

  /** Marks the outcome decided and drops its timers and listener; false if it already was. */
  #decide(): boolean {
    if (this.#decided) return false;
    this.#decided = true;
    const host = this.#host;
    if (this.queued) host.deadlines.remove(this);
    if (this.#trialDeadline !== undefined) host.deadlines.remove(this.#trialDeadline);
    this.#signal?.removeEventListener("abort", this);
    return true;
  }

  #slow(): boolean {
    const host = this.#host;
    const threshold = host.settings.slowCallDuration;
    if (threshold === undefined) return false;
    const duration = host.clock.now() - this.#slowStart;
    if (duration < threshold) return false;
    host.slow(duration);
    return true;
  }

  #workSettled(): void {
    if (this.#workDone) return;
    this.#workDone = true;
    this.#host.active--;
  }
}

class TrialDeadline implements Deadline {
  deadline = 0;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  readonly #call: ControlledCall;

  constructor(call: ControlledCall) {
    this.#call = call;
  }

  expire(): void {
    this.#call.releaseTrial();
  }
}
