import { describeValue } from "./describe.js";
import { assertIntegerBetween } from "./validate.js";

/** Outcome flag: the call failed. */
export const FAILED = 1;
/** Outcome flag: the call was slow (a slow failure has both flags). */
export const SLOW = 2;

/** A failure-rate window: the last `calls` calls, or the last `duration` ms in `buckets` buckets. */
export type WindowSpec =
  | {
      /** A count window: the last this many calls; an integer >= 1. */
      readonly calls: number;
    }
  | {
      /** A time window: the last this many ms; > 0. */
      readonly duration: number;
      /** How many buckets `duration` is split into; an integer >= 1. Default 10. */
      readonly buckets?: number | undefined;
    };

/** A window's contents as plain JSON, oldest first. */
export type WindowSnapshot =
  | {
      /** A count window. */
      readonly kind: "count";
      /** Its size, in calls. */
      readonly size: number;
      /** One entry per recorded call, oldest first: 0, or the flags 1 (failed) and 2 (slow) added up. */
      readonly outcomes: readonly number[];
    }
  | {
      /** A time window. */
      readonly kind: "time";
      /** Its length, ms. */
      readonly duration: number;
      /** How many buckets it has. */
      readonly buckets: number;
      /** The buckets that hold calls, oldest first. */
      readonly data: readonly {
        /** The bucket's start, epoch ms. */
        readonly start: number;
        /** Calls recorded in it. */
        readonly calls: number;
        /** Failed calls among them. */
        readonly failures: number;
        /** Slow calls among them. */
        readonly slowCalls: number;
      }[];
    };

/** Totals over a window. */
export interface WindowTotals {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

/**
 * Where a breaker counts outcomes for its rate conditions. Recording and reading are O(1) and
 * allocate nothing; a time window rolls lazily from the `now` it is given, never from a timer.
 */
export interface FailureWindow extends WindowTotals {
  readonly kind: "count" | "time";
  /** Records one outcome (`0`, `FAILED`, `SLOW` or both) at `now`. */
  record(now: number, flags: number): void;
  /** Rolls a time window forward to `now`, so the totals are those of the window ending then. */
  advance(now: number): void;
  clear(): void;
  toJSON(): WindowSnapshot;
}

/**
 * Most calls a count window holds. Its ring takes a byte a call and `toJSON()` exports a number
 * a call, so a million is a megabyte held and a few exported; a window of more calls than that
 * would take longer to notice an outage than any caller waits.
 */
export const MAX_WINDOW_CALLS = 1_000_000;

/**
 * Most buckets a time window has: three `Float64Array`s of this length (240 KB at 10 000), and a
 * roll forward or back touches at most that many. Finer buckets than 1/10 000 of the window change
 * no rate that a threshold can tell apart.
 */
export const MAX_WINDOW_BUCKETS = 10_000;

/**
 * Longest time window, ms: one day. A breaker answers "is the dependency failing now"; a rate over
 * more than a day still counts an outage long since over, and a larger number is more likely a
 * unit mistake (seconds given as ms twice over) than a wish.
 */
export const MAX_WINDOW_DURATION = 86_400_000;

/**
 * Most calls one bucket of a restored time window may hold: a window's totals are sums of at most
 * {@link MAX_WINDOW_BUCKETS} buckets, and this keeps them exact integers (about 9e11 calls a
 * bucket, ten million a second for a day).
 */
export const MAX_BUCKET_CALLS = Math.floor(Number.MAX_SAFE_INTEGER / MAX_WINDOW_BUCKETS);

/** Checks a window option and builds the window, naming the bad value on error. */
export function createWindow(spec: WindowSpec): CountWindow | TimeWindow {
  const checked = checkSpec(spec);
  return "calls" in checked
    ? new CountWindow(checked.calls)
    : new TimeWindow(checked.duration, checked.buckets);
}

function checkSpec(spec: unknown): { calls: number } | { duration: number; buckets: number } {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(
      `window must be { calls } or { duration, buckets }, got ${describeValue(spec)}`,
    );
  }
  const given = spec as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== "calls" && key !== "duration" && key !== "buckets") {
      throw new TypeError(
        `unknown window option ${JSON.stringify(key)}; a window is { calls } or { duration, buckets }`,
      );
    }
  }
  if ("calls" in given) {
    if ("duration" in given || "buckets" in given) {
      throw new TypeError("window takes either calls or duration (with buckets), not both");
    }
    assertIntegerBetween("window.calls", given["calls"], 1, MAX_WINDOW_CALLS);
    return { calls: given["calls"] };
  }
  return checkTimeShape(given["duration"], given["buckets"] ?? 10, {
    duration: "window.duration",
    buckets: "window.buckets",
    ratio: "window.duration / window.buckets",
  });
}

/**
 * Checks a time window's duration and bucket count against the bounds, naming each as `names`
 * says (the option, or a snapshot's field).
 */
export function checkTimeShape(
  duration: unknown,
  buckets: unknown,
  names: { readonly duration: string; readonly buckets: string; readonly ratio: string },
): { duration: number; buckets: number } {
  const expected = `${names.duration} must be a number of ms > 0 and <= ${String(MAX_WINDOW_DURATION)} (one day)`;
  if (typeof duration !== "number") {
    throw new TypeError(`${expected}, got ${describeValue(duration)} (${typeof duration})`);
  }
  if (!(duration > 0 && duration <= MAX_WINDOW_DURATION)) {
    throw new RangeError(`${expected}, got ${describeValue(duration)}`);
  }
  assertIntegerBetween(names.buckets, buckets, 1, MAX_WINDOW_BUCKETS);
  if (duration / buckets < 1) {
    throw new RangeError(
      `${names.ratio} must be at least 1 ms, got ${String(duration)} / ${String(buckets)}`,
    );
  }
  return { duration, buckets };
}

/**
 * The index of the bucket of `width` ms holding `time`: bucket k spans exactly
 * [k * width, (k + 1) * width) as computed in floating point, whichever way the division rounds,
 * so a bucket's exported start (k * width) maps back to k.
 */
export function bucketIndex(time: number, width: number): number {
  const index = Math.floor(time / width);
  if ((index + 1) * width <= time) return index + 1;
  return index * width > time ? index - 1 : index;
}

/** The last N outcomes, in a ring of flags. */
export class CountWindow implements FailureWindow {
  readonly kind = "count";
  readonly #ring: Uint8Array;
  #next = 0;
  #filled = 0;
  #failures = 0;
  #slowCalls = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  /** How many outcomes the window holds when full. */
  get size(): number {
    return this.#ring.length;
  }

  get calls(): number {
    return this.#filled;
  }

  get failures(): number {
    return this.#failures;
  }

  get slowCalls(): number {
    return this.#slowCalls;
  }

  record(_now: number, flags: number): void {
    const ring = this.#ring;
    const at = this.#next;
    if (this.#filled === ring.length) {
      const old = ring[at] as number;
      this.#failures -= old & FAILED;
      this.#slowCalls -= (old & SLOW) >> 1;
    } else {
      this.#filled++;
    }
    ring[at] = flags;
    this.#failures += flags & FAILED;
    this.#slowCalls += (flags & SLOW) >> 1;
    this.#next = at + 1 === ring.length ? 0 : at + 1;
  }

  advance(): void {
    // The last N calls do not age.
  }

  clear(): void {
    this.#ring.fill(0);
    this.#next = this.#filled = this.#failures = this.#slowCalls = 0;
  }

  /** The recorded outcomes, oldest first; only the newest `limit` of them when given. */
  outcomes(limit = Infinity): number[] {
    const ring = this.#ring;
    const filled = this.#filled;
    const taken = Math.min(limit, filled);
    const start = (filled === ring.length ? this.#next : 0) + filled - taken;
    const out: number[] = [];
    for (let i = 0; i < taken; i++) out.push(ring[(start + i) % ring.length] as number);
    return out;
  }

  toJSON(): WindowSnapshot {
    return { kind: "count", size: this.size, outcomes: this.outcomes() };
  }
}

/**
 * The last `duration` ms in `buckets` buckets aligned to the epoch (bucket `floor(t / width)`),
 * so breakers in different processes share bucket edges. A bucket idle for a whole window is
 * empty.
 *
 * A clock that moves backwards: a step back into the newest bucket or the one just before it
 * (less than about one bucket, the size of an ordinary clock correction) records into the newest
 * bucket and loses nothing. A longer step drops the buckets dated after the new time, which hold
 * times the clock has not reached, and one of a whole window or more empties the window: once a
 * clock that jumped ahead is corrected, the window holds only the last `duration` ms of the
 * corrected clock, instead of what the wrong clock recorded until the right one catches up.
 */
export class TimeWindow implements FailureWindow {
  readonly kind = "time";
  readonly #duration: number;
  readonly #width: number;
  readonly #calls: Float64Array;
  readonly #failed: Float64Array;
  readonly #slow: Float64Array;
  /** Index (`floor(t / width)`) of the newest bucket; -Infinity before the first record. */
  #newest = -Infinity;
  /**
   * Where the newest bucket ends, where the bucket before it starts, and the newest slot: a
   * record between the two needs no division.
   */
  #newestEnd = -Infinity;
  #previousStart = -Infinity;
  #newestSlot = 0;
  #totalCalls = 0;
  #totalFailures = 0;
  #totalSlow = 0;

  constructor(duration: number, buckets: number) {
    this.#duration = duration;
    this.#width = duration / buckets;
    this.#calls = new Float64Array(buckets);
    this.#failed = new Float64Array(buckets);
    this.#slow = new Float64Array(buckets);
  }

  get calls(): number {
    return this.#totalCalls;
  }

  get failures(): number {
    return this.#totalFailures;
  }

  get slowCalls(): number {
    return this.#totalSlow;
  }

  record(now: number, flags: number): void {
    if (now >= this.#newestEnd || now < this.#previousStart) this.advance(now);
    const slot = this.#newestSlot;
    this.#calls[slot] = (this.#calls[slot] as number) + 1;
    this.#totalCalls++;
    if ((flags & FAILED) !== 0) {
      this.#failed[slot] = (this.#failed[slot] as number) + 1;
      this.#totalFailures++;
    }
    if ((flags & SLOW) !== 0) {
      this.#slow[slot] = (this.#slow[slot] as number) + 1;
      this.#totalSlow++;
    }
  }

  advance(now: number): void {
    const index = this.#bucketOf(now);
    const newest = this.#newest;
    // A small step back (see the class): the newest bucket takes it.
    if (index <= newest && index >= newest - 1) return;
    const count = this.#calls.length;
    // Forward, the buckets passed over are dropped; back, the buckets after `index`.
    const [from, to] = index > newest ? [newest + 1, index] : [index + 1, newest];
    if (to - from + 1 >= count) {
      this.#clearBuckets();
    } else {
      for (let bucket = from; bucket <= to; bucket++) this.#drop(this.#slot(bucket));
    }
    this.#newest = index;
    this.#newestEnd = (index + 1) * this.#width;
    this.#previousStart = (index - 1) * this.#width;
    this.#newestSlot = this.#slot(index);
  }

  clear(): void {
    this.#clearBuckets();
    this.#newest = this.#newestEnd = this.#previousStart = -Infinity;
    this.#newestSlot = 0;
  }

  toJSON(): WindowSnapshot {
    const data: { start: number; calls: number; failures: number; slowCalls: number }[] = [];
    const count = this.#calls.length;
    if (this.#newest === -Infinity)
      return { kind: "time", duration: this.#duration, buckets: count, data };
    for (let bucket = this.#newest - count + 1; bucket <= this.#newest; bucket++) {
      const slot = this.#slot(bucket);
      const calls = this.#calls[slot] as number;
      if (calls === 0) continue;
      data.push({
        start: bucket * this.#width,
        calls,
        failures: this.#failed[slot] as number,
        slowCalls: this.#slow[slot] as number,
      });
    }
    return { kind: "time", duration: this.#duration, buckets: count, data };
  }

  /**
   * Adds counts to the bucket containing `start` (when restoring or reshaping, after advancing to
   * now); counts dated after the newest bucket, or older than the window, are dropped.
   */
  add(start: number, calls: number, failures: number, slowCalls: number): void {
    const index = this.#bucketOf(start);
    if (index > this.#newest || index <= this.#newest - this.#calls.length) return;
    const slot = this.#slot(index);
    this.#calls[slot] = (this.#calls[slot] as number) + calls;
    this.#failed[slot] = (this.#failed[slot] as number) + failures;
    this.#slow[slot] = (this.#slow[slot] as number) + slowCalls;
    this.#totalCalls += calls;
    this.#totalFailures += failures;
    this.#totalSlow += slowCalls;
  }

  /** See {@link bucketIndex}: exact edges let `record` compare against the newest bucket's end. */
  #bucketOf(time: number): number {
    return bucketIndex(time, this.#width);
  }

  // Typed-array reads below index slots from #slot, always in range: hence `as number`.
  #slot(bucket: number): number {
    const count = this.#calls.length;
    return ((bucket % count) + count) % count;
  }

  #drop(slot: number): void {
    this.#totalCalls -= this.#calls[slot] as number;
    this.#totalFailures -= this.#failed[slot] as number;
    this.#totalSlow -= this.#slow[slot] as number;
    this.#calls[slot] = this.#failed[slot] = this.#slow[slot] = 0;
  }

  #clearBuckets(): void {
    this.#calls.fill(0);
    this.#failed.fill(0);
    this.#slow.fill(0);
    this.#totalCalls = this.#totalFailures = this.#totalSlow = 0;
  }
}

/** Failure and slow-call rates in percent; 0 for an empty window. */
export function rates(totals: WindowTotals): { failureRate: number; slowCallRate: number } {
  const { calls } = totals;
  if (calls === 0) return { failureRate: 0, slowCallRate: 0 };
  return {
    failureRate: (totals.failures * 100) / calls,
    slowCallRate: (totals.slowCalls * 100) / calls,
  };
}
