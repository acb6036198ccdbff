import type { Deadline } from "./deadline-queue.js";
import type { CallGate, Epoch } from "./gate.js";

/**
 * A generator returned by a guarded call, guarded over its iteration: exhaustion is a success, a
 * throw is a failure, a consumer that stops early records neither. The call that made it was
 * admitted under `created`; a half-open trial slot is held only while the generator runs, so the
 * slot admission took is given back now and the first `next()` asks for one again: a generator
 * made and never iterated would otherwise hold it for good.
 */
export function guardIteration(
  gate: CallGate,
  created: Epoch,
  inner: Iterator<unknown> & AsyncIterator<unknown>,
  kind: "sync" | "async",
): Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown> {
  // Nothing ended: no neutral event, and not an outcome of its own.
  if (!created.direct) gate.settleNeutral(created, undefined, undefined, false);
  return kind === "async" ? iterateAsync(gate, created, inner) : iterateSync(gate, created, inner);
}

/**
 * One iteration from its first next() to its end: the epoch it runs under (the creation's when
 * that needed no trial slot, as a call admitted then; otherwise a fresh admission, which takes a
 * trial slot or refuses), counted in `inFlight`, timed for its duration, and, as a half-open
 * trial under `halfOpenTimeout`, a deadline after which its slot is freed and its outcome
 * decides nothing.
 */
class Iteration implements Deadline {
  deadline = 0;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued = false;
  epoch: Epoch;
  readonly #gate: CallGate;
  readonly #start: number;
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
    this.#start = gate.startTime();
    gate.pending++;
  }

  succeeded(): void {
    this.#end();
    this.#gate.settleSuccess(this.epoch, false, this.#start);
  }

  failed(error: unknown): unknown {
    this.#end();
    return this.#gate.settleFailure(this.epoch, error, false, this.#start);
  }

  /** The consumer stopped early (return()): neither success nor failure. */
  stopped(): void {
    if (this.#ended) return;
    this.#end();
    this.#gate.settleNeutral(this.epoch, "stopped");
  }

  /** `halfOpenTimeout` passed: the slot is freed, and this iteration no longer decides. */
  expire(): void {
    this.#gate.settleNeutral(this.epoch, "half-open-timeout", undefined, false);
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
