import { CallTimeoutError, ConcurrencyLimitError } from "./call-errors.js";
import type { Clock } from "./clock.js";
import type { Deadline, DeadlineQueue } from "./deadline-queue.js";
import { describeValue } from "./describe.js";
import { COUNTED, type Epoch, type FailureKind } from "./gate.js";
import type { NeutralReason } from "./listener.js";
import type { Fallback } from "./options.js";
import type { Settings } from "./settings.js";
import { adoptThenable, observe } from "./thenable.js";
import { isAbortSignal } from "./wait.js";

type AnyFunction = (...args: never[]) => unknown;

/** What a controlled call needs from its breaker. Internal. */
export interface CallHost {
  /** The breaker's settings, replaced on `reconfigure`. */
  settings: Settings;
  readonly name: string | undefined;
  readonly clock: Clock;
  readonly deadlines: DeadlineQueue;
  /** Calls whose work has not settled yet (for `maxConcurrentCalls`). */
  active: number;
  /** Admits a call or returns the refusal; `reserved`: a woken queue waiter's retry. */
  admit(reserved: boolean): Epoch | Error;
  /** A woken waiter gives up its retry before `admit`: its reserved slot goes to the next one. */
  cancelReservation(): void;
  /** A wait for a trial slot, or `undefined` when `refusal` cannot wait (queue full, not half-open). */
  enqueue(refusal: Error, signal: AbortSignal | undefined): Promise<void> | undefined;
  /** Reports a refusal to listeners. */
  refuse(error: Error): void;
  beforeCall(fn: AnyFunction, args: readonly unknown[]): void;
  /** How `error` counts (asked once per error, then passed to `settleFailure`). */
  classify(error: unknown): FailureKind;
  settleSuccess(epoch: Epoch, slow: boolean): void;
  settleFailure(epoch: Epoch, error: unknown, slow: boolean, kind?: FailureKind): unknown;
  settleNeutral(epoch: Epoch, reason: NeutralReason): void;
  timedOut(epoch: Epoch, error: CallTimeoutError, slow: boolean): unknown;
  slow(duration: number): void;
  /** Frees a stuck trial's slot without a verdict (`halfOpenTimeout`). */
  releaseTrial(epoch: Epoch): void;
}

/** The options object a caller may pass as the last argument: `{ signal }`. */
export interface CallOptions {
  readonly signal?: AbortSignal | null | undefined;
}

/** Whether the last argument carries call options: a plain object with its own `signal` key. */
export function callOptionsOf(args: readonly unknown[]): CallOptions | undefined {
  if (args.length === 0) return undefined;
  const last = args[args.length - 1];
  if (typeof last !== "object" || last === null || !Object.hasOwn(last, "signal")) return undefined;
  const proto = Object.getPrototypeOf(last) as unknown;
  return proto === Object.prototype || proto === null ? last : undefined;
}

/**
 * A call that needs more than the plain path: a timeout, a caller's signal, a start time for
 * slow-call detection, a concurrency slot, a fallback, or a half-open trial with a timeout or
 * queue. It allocates per call; the plain path does not.
 */
export function runControlled(
  host: CallHost,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
  fallback: Fallback | undefined,
  reserved = false,
): Promise<unknown> {
  const options = callOptionsOf(args);
  // `signal: null` means no signal, as in fetch's RequestInit.
  const signal = options?.signal ?? undefined;
  if (signal !== undefined && !isAbortSignal(signal)) {
    return Promise.reject(
      new TypeError(`call options: signal must be an AbortSignal, got ${describeValue(signal)}`),
    );
  }
  // An already aborted call never starts: neither counted nor refused.
  if (signal?.aborted) {
    if (reserved) host.cancelReservation();
    return Promise.reject(signal.reason as Error);
  }
  const limit = host.settings.maxConcurrentCalls;
  if (limit !== undefined && host.active >= limit) {
    if (reserved) host.cancelReservation();
    return refuse(host, new ConcurrencyLimitError(host.name, limit), fallback, args);
  }
  const admitted = host.admit(reserved);
  if (admitted instanceof Error) {
    const wait = host.enqueue(admitted, signal);
    if (wait !== undefined) {
      return wait.then(() => runControlled(host, fn, thisArg, args, fallback, true));
    }
    return refuse(host, admitted, fallback, args);
  }
  const settings = host.settings;
  if (
    options === undefined &&
    fallback === undefined &&
    settings.slowCallDuration === undefined &&
    (admitted.direct || settings.halfOpenTimeout === undefined)
  ) {
    return runTimed(host, admitted, fn, thisArg, args, settings.callTimeout);
  }
  return new ControlledCall(host, admitted, fn, thisArg, args, options, fallback).promise;
}

/**
 * The common controlled call: a timeout (or only a concurrency slot), nothing else. A result
 * that is not a promise settles at once and never touches the timer.
 */
export function runTimed(
  host: CallHost,
  epoch: Epoch,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
  timeout: number | undefined,
): Promise<unknown> {
  host.beforeCall(fn, args);
  const deadlines = timeout === undefined ? undefined : host.deadlines;
  const deadline = deadlines === undefined ? 0 : deadlines.now() + (timeout as number);
  let result: unknown;
  try {
    result = Reflect.apply(fn, thisArg, args);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
    return Promise.reject(host.settleFailure(epoch, error, false));
  }
  const work = adoptThenable(result);
  if (work === undefined) {
    host.settleSuccess(epoch, false);
    return Promise.resolve(result);
  }
  return new TimedCall(host, epoch, work, deadlines, deadline, timeout ?? 0).promise;
}

function refuse(
  host: CallHost,
  error: Error,
  fallback: Fallback | undefined,
  args: unknown[],
): Promise<unknown> {
  host.refuse(error);
  return fallback === undefined ? Promise.reject(error) : runFallback(fallback, error, args);
}

function runFallback(fallback: Fallback, error: unknown, args: unknown[]): Promise<unknown> {
  try {
    return Promise.resolve(Reflect.apply(fallback, undefined, [error, ...args]));
  } catch (fallbackError) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a fallback may throw anything; the caller gets it as it was
    return Promise.reject(fallbackError);
  }
}

/** A call under `callTimeout` (or a concurrency limit) alone: the lean sibling of ControlledCall. */
class TimedCall implements Deadline {
  deadline: number;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  readonly promise: Promise<unknown>;
  readonly #host: CallHost;
  readonly #epoch: Epoch;
  readonly #deadlines: DeadlineQueue | undefined;
  readonly #timeout: number;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #decided = false;

  constructor(
    host: CallHost,
    epoch: Epoch,
    work: Promise<unknown>,
    deadlines: DeadlineQueue | undefined,
    deadline: number,
    timeout: number,
  ) {
    this.#host = host;
    this.#epoch = epoch;
    this.#deadlines = deadlines;
    this.#timeout = timeout;
    this.deadline = deadline;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    host.active++;
    deadlines?.insert(this);
    void observe(
      work,
      (value) => {
        host.active--;
        if (!this.#decide()) return;
        host.settleSuccess(epoch, false);
        this.#resolve(value);
      },
      (error: unknown) => {
        host.active--;
        if (!this.#decide()) return;
        this.#reject(host.settleFailure(epoch, error, false));
      },
    );
  }

  expire(): void {
    if (!this.#decide()) return;
    const host = this.#host;
    this.#reject(host.timedOut(this.#epoch, new CallTimeoutError(host.name, this.#timeout), false));
  }

  #decide(): boolean {
    if (this.#decided) return false;
    this.#decided = true;
    this.#deadlines?.remove(this);
    return true;
  }
}

class ControlledCall implements Deadline {
  deadline = 0;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  readonly promise: Promise<unknown>;
  readonly #host: CallHost;
  #epoch: Epoch;
  readonly #args: unknown[];
  readonly #signal: AbortSignal | undefined;
  readonly #fallback: Fallback | undefined;
  readonly #timeout: number | undefined;
  readonly #start: number;
  #controller: AbortController | undefined;
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
    options: CallOptions | undefined,
    fallback: Fallback | undefined,
  ) {
    this.#host = host;
    this.#epoch = epoch;
    this.#args = args;
    this.#fallback = fallback;
    const settings = host.settings;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    host.active++;
    const signal = options?.signal ?? undefined;
    this.#signal = signal;
    const timeout = settings.callTimeout;
    this.#timeout = timeout;
    let callArgs = args;
    if (timeout !== undefined && options !== undefined) {
      // The function gets a signal of its own, so a timeout aborts this call alone.
      const controller = new AbortController();
      this.#controller = controller;
      callArgs = args.slice();
      callArgs[callArgs.length - 1] = { ...options, signal: controller.signal };
    }
    signal?.addEventListener("abort", this);
    if (timeout !== undefined) host.deadlines.add(this, timeout);
    const halfOpenTimeout = settings.halfOpenTimeout;
    if (!epoch.direct && halfOpenTimeout !== undefined) {
      this.#trialDeadline = new TrialDeadline(this);
      host.deadlines.add(this.#trialDeadline, halfOpenTimeout);
    }
    this.#start = settings.slowCallDuration === undefined ? 0 : host.clock.now();
    host.beforeCall(fn, args);
    let result: unknown;
    try {
      result = Reflect.apply(fn, thisArg, callArgs);
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
    } else {
      this.#workSettled();
      this.#succeeded(result);
    }
  }

  /** The caller's signal aborted: the call ends now, neutral. */
  handleEvent(): void {
    if (!this.#decide()) return;
    const reason = (this.#signal as AbortSignal).reason as unknown;
    this.#controller?.abort(reason);
    this.#host.settleNeutral(this.#epoch, "aborted");
    this.#reject(reason);
  }

  /** `callTimeout` passed: the call fails now with `CallTimeoutError`. */
  expire(): void {
    if (!this.#decide()) return;
    const host = this.#host;
    const error = new CallTimeoutError(host.name, this.#timeout ?? 0);
    this.#controller?.abort(error);
    this.#fail(host.timedOut(this.#epoch, error, this.#slow()), true);
  }

  /** `halfOpenTimeout` passed: the trial slot is freed, and this call no longer decides. */
  releaseTrial(): void {
    if (this.#decided) return;
    this.#host.releaseTrial(this.#epoch);
    this.#epoch = { ...this.#epoch, generation: -1 };
  }

  #succeeded(value: unknown): void {
    if (!this.#decide()) return;
    this.#host.settleSuccess(this.#epoch, this.#slow());
    this.#resolve(value);
  }

  #failed(error: unknown): void {
    if (!this.#decide()) return;
    // A caller's abort decides first (its listener is added before the work starts), so the
    // work's own rejection after an abort never arrives here.
    const host = this.#host;
    const kind = host.classify(error);
    this.#fail(host.settleFailure(this.#epoch, error, this.#slow(), kind), kind === COUNTED);
  }

  #fail(raised: unknown, useFallback: boolean): void {
    const fallback = this.#fallback;
    if (fallback !== undefined && useFallback) {
      void observe(runFallback(fallback, raised, this.#args), this.#resolve, this.#reject);
    } else {
      this.#reject(raised);
    }
  }

  /** Marks the outcome decided and drops its timers and listener; false if it already was. */
  #decide(): boolean {
    if (this.#decided) return false;
    this.#decided = true;
    const host = this.#host;
    host.deadlines.remove(this);
    if (this.#trialDeadline !== undefined) host.deadlines.remove(this.#trialDeadline);
    this.#signal?.removeEventListener("abort", this);
    return true;
  }

  #slow(): boolean {
    const host = this.#host;
    const threshold = host.settings.slowCallDuration;
    if (threshold === undefined) return false;
    const duration = host.clock.now() - this.#start;
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
