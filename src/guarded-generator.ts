import type { Deadline } from "./deadline-queue.js";
import type { CallGate, Epoch } from "./gate.js";

/**
 * Guards a generator function over its iteration. Admission is checked when the generator is
 * created; the outcome is decided by its iteration. A half-open trial slot is held only while
 * the generator runs: one created and never iterated would otherwise hold it for good, since
 * nothing but its iteration can release it.
 */
export function guardGenerator(
  gate: CallGate,
  fn: (...args: never[]) => unknown,
  async: boolean,
): (...args: unknown[]) => unknown {
  return function (this: unknown, ...args: unknown[]) {
    const epoch = gate.admitReported();
    if (epoch instanceof Error) throw epoch;
    gate.beforeCall(fn, args);
    let inner: Iterator<unknown> & AsyncIterator<unknown>;
    try {
      inner = Reflect.apply(fn, this, args) as Iterator<unknown> & AsyncIterator<unknown>;
    } catch (error) {
      throw gate.settleFailure(epoch, error);
    }
    // The slot admission took is given back, with no listener event (nothing ended); the first
    // next() asks for one again.
    if (!epoch.direct) gate.settleNeutral(epoch, undefined);
    return async ? iterateAsync(gate, epoch, inner) : iterateSync(gate, epoch, inner);
  };
}

/**
 * One iteration from its first next() to its end: the epoch it runs under (the creation's when
 * that needed no trial slot, as a call admitted then; otherwise a fresh admission, which takes a
 * trial slot or refuses), counted in `inFlight`, and, as a half-open trial under
 * `halfOpenTimeout`, a deadline after which its slot is freed and its outcome decides nothing.
 */
class Iteration implements Deadline {
  deadline = 0;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  epoch: Epoch;
  readonly #gate: CallGate;
  #ended = false;

  constructor(gate: CallGate, created: Epoch) {
    this.#gate = gate;
    let epoch = created;
    if (!created.direct) {
      const admitted = gate.admitReported();
      if (admitted instanceof Error) throw admitted;
      epoch = admitted;
      const timeout = gate.settings.halfOpenTimeout;
      if (timeout !== undefined) gate.deadlines.add(this, timeout);
    }
    this.epoch = epoch;
    gate.pending++;
  }

  succeeded(): void {
    this.#end();
    this.#gate.settleSuccess(this.epoch);
  }

  failed(error: unknown): unknown {
    this.#end();
    return this.#gate.settleFailure(this.epoch, error);
  }

  /** The consumer stopped early (return()): neither success nor failure. */
  stopped(): void {
    if (this.#ended) return;
    this.#end();
    this.#gate.settleNeutral(this.epoch, "stopped");
  }

  /** `halfOpenTimeout` passed: the slot is freed, and this iteration no longer decides. */
  expire(): void {
    this.#gate.settleNeutral(this.epoch, "half-open-timeout");
    this.epoch = { ...this.epoch, generation: -1 };
  }

  #end(): void {
    this.#ended = true;
    this.#gate.pending--;
    if (this.queued) this.#gate.deadlines.remove(this);
  }
}

// iterateSync and iterateAsync are twins on purpose: a generator body is either sync or async,
// and `yield*` cannot be shared across the two. Their bodies start at the first next(): a throw()
// or return() before it ends the generator without running the inner one, as on any generator,
// and so takes no trial slot and records nothing.
function* iterateSync(
  gate: CallGate,
  created: Epoch,
  inner: Iterator<unknown>,
): Generator<unknown, unknown, unknown> {
  const iteration = new Iteration(gate, created);
  let settled = false;
  try {
    const value: unknown = yield* { [Symbol.iterator]: () => inner };
    settled = true;
    iteration.succeeded();
    return value;
  } catch (error) {
    if (settled) throw error;
    settled = true;
    throw iteration.failed(error);
  } finally {
    if (!settled) iteration.stopped();
  }
}

async function* iterateAsync(
  gate: CallGate,
  created: Epoch,
  inner: AsyncIterator<unknown>,
): AsyncGenerator<unknown, unknown, unknown> {
  const iteration = new Iteration(gate, created);
  let settled = false;
  try {
    const value: unknown = yield* { [Symbol.asyncIterator]: () => inner };
    settled = true;
    iteration.succeeded();
    return value;
  } catch (error) {
    if (settled) throw error;
    settled = true;
    throw iteration.failed(error);
  } finally {
    if (!settled) iteration.stopped();
  }
}
