import { CallTimeoutError } from "./call-errors.js";
import type { CallHost } from "./controlled-call.js";
import type { Deadline, DeadlineQueue } from "./deadline-queue.js";
import type { Epoch } from "./gate.js";
import { guardedIteration } from "./settle-value.js";
import { adoptThenable, observe } from "./thenable.js";

type AnyFunction = (...args: never[]) => unknown;

/**
 * The common controlled call: a timeout (or only a concurrency slot, or a half-open trial),
 * nothing else. A result that is not a promise settles at once and never touches the timer.
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
  // The deadline's clock is monotonic: its reading is the start for durations too.
  const start = deadlines === undefined ? host.startTime() : deadlines.now();
  let result: unknown;
  try {
    result = Reflect.apply(fn, thisArg, args);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
    return Promise.reject(host.settleFailure(epoch, error, false, start));
  }
  const work = adoptThenable(result);
  if (work === undefined) {
    const iteration = guardedIteration(host, epoch, result);
    if (iteration !== undefined) return Promise.resolve(iteration);
    host.settleSuccess(epoch, false, start);
    return Promise.resolve(result);
  }
  return new TimedCall(host, epoch, work, deadlines, start, timeout ?? 0).promise;
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
  readonly #start: number;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #decided = false;

  constructor(
    host: CallHost,
    epoch: Epoch,
    work: Promise<unknown>,
    deadlines: DeadlineQueue | undefined,
    start: number,
    timeout: number,
  ) {
    this.#host = host;
    this.#epoch = epoch;
    this.#deadlines = deadlines;
    this.#timeout = timeout;
    this.#start = start;
    this.deadline = deadlines === undefined ? 0 : start + timeout;
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
        host.settleSuccess(epoch, false, this.#start);
        this.#resolve(value);
      },
      (error: unknown) => {
        host.active--;
        if (!this.#decide()) return;
        this.#reject(host.settleFailure(epoch, error, false, this.#start));
      },
    );
  }

  expire(): void {
    if (!this.#decide()) return;
    const host = this.#host;
    const error = new CallTimeoutError(host.name, this.#timeout);
    this.#reject(host.timedOut(this.#epoch, error, false, this.#start));
  }

  #decide(): boolean {
    if (this.#decided) return false;
    this.#decided = true;
    this.#deadlines?.remove(this);
    return true;
  }
}
