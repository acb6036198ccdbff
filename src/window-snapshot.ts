import { describeValue } from "./describe.js";
import {
  CountWindow,
  FAILED,
  MAX_BUCKET_CALLS,
  MAX_WINDOW_CALLS,
  SLOW,
  TimeWindow,
  bucketIndex,
  checkTimeShape,
  createWindow,
  type FailureWindow,
  type WindowSpec,
} from "./outcome-window.js";
import { assertIntegerBetween } from "./validate.js";

interface Bucket {
  readonly start: number;
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

interface TimeContents {
  readonly duration: number;
  readonly buckets: number;
  readonly data: readonly Bucket[];
}

/** A snapshot whose every field is checked, within the window bounds. */
type CheckedSnapshot =
  | { readonly kind: "count"; readonly size: number; readonly outcomes: readonly number[] }
  | ({ readonly kind: "time" } & TimeContents);

/**
 * The window a breaker configured with `spec` restores from an `initialState` window snapshot,
 * as of `now`. A bad snapshot is a `TypeError` (a field beyond its bounds a `RangeError`) naming
 * the field. The work and memory are bounded by `spec`'s window, whatever the snapshot's numbers:
 * it is poured straight into the new window, never rebuilt at its own size first.
 */
export function restoreWindowAs(snapshot: unknown, spec: WindowSpec, now: number): FailureWindow {
  let checked: CheckedSnapshot;
  try {
    checked = checkSnapshot(snapshot);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const Type = error instanceof RangeError ? RangeError : TypeError;
    throw new Type(`initialState.window: ${message}`, { cause: error });
  }
  return pour(checked, createWindow(spec), now);
}

/** Builds a window of the snapshot's own shape from it (from `toJSON()`), as of `now`. */
export function restoreWindow(snapshot: unknown, now: number): FailureWindow {
  const checked = checkSnapshot(snapshot);
  const spec: WindowSpec =
    checked.kind === "count"
      ? { calls: checked.size }
      : { duration: checked.duration, buckets: checked.buckets };
  return pour(checked, createWindow(spec), now);
}

/**
 * A new window of shape `spec` holding as much of `window`'s contents as fits: into a count
 * window the newest outcomes, into a time window everything still inside it at `now`. The work
 * is bounded by the smaller of the two windows.
 */
export function reshapeWindow(window: FailureWindow, spec: WindowSpec, now: number): FailureWindow {
  const target = createWindow(spec);
  if (window instanceof CountWindow) {
    if (target instanceof CountWindow) recordAll(window.outcomes(target.size), target, now);
    else addAtNow(window, target, now);
    return target;
  }
  return pourBuckets(window.toJSON() as TimeContents, target, now);
}

type Target = CountWindow | TimeWindow;

function pour(checked: CheckedSnapshot, target: Target, now: number): FailureWindow {
  if (checked.kind === "time") return pourBuckets(checked, target, now);
  if (target instanceof CountWindow) {
    recordAll(checked.outcomes.slice(-target.size), target, now);
  } else {
    let failures = 0;
    let slowCalls = 0;
    for (const flags of checked.outcomes) {
      failures += flags & FAILED;
      slowCalls += (flags & SLOW) >> 1;
    }
    addAtNow({ calls: checked.outcomes.length, failures, slowCalls }, target, now);
  }
  return target;
}

function recordAll(outcomes: readonly number[], target: FailureWindow, now: number): void {
  for (const flags of outcomes) target.record(now, flags);
}

/** Outcomes that carry no time (a count window's) all land in the bucket of `now`. */
function addAtNow(totals: Omit<Bucket, "start">, target: TimeWindow, now: number): void {
  target.advance(now);
  target.add(now, totals.calls, totals.failures, totals.slowCalls);
}

/**
 * Pours the buckets of a time window that are still inside it at `now` into `target`: a bucket
 * that aged out of that window, or is dated after `now`, is left out. Into a count window go
 * the newest calls that fit, counted back from the newest bucket, at most `target.size` records.
 */
function pourBuckets(contents: TimeContents, target: Target, now: number): FailureWindow {
  const width = contents.duration / contents.buckets;
  const newest = bucketIndex(now, width);
  const live = contents.data.filter((bucket) => {
    const index = bucketIndex(bucket.start, width);
    return bucket.start <= now && index > newest - contents.buckets && bucket.calls > 0;
  });
  if (target instanceof TimeWindow) {
    target.advance(now);
    for (const { start, calls, failures, slowCalls } of live) {
      target.add(start, calls, failures, slowCalls);
    }
    return target;
  }
  const size = target.size;
  live.sort((a, b) => a.start - b.start);
  // Back from the newest bucket until the window is full: only the oldest bucket taken may be
  // taken in part.
  let first = live.length;
  let room = size;
  while (first > 0 && room > 0) room -= Math.min(room, (live[--first] as Bucket).calls);
  let partial = size - room;
  for (let at = first + 1; at < live.length; at++) partial -= (live[at] as Bucket).calls;
  for (let at = first; at < live.length; at++) {
    const { calls, failures, slowCalls } = live[at] as Bucket;
    // Within a bucket: slow calls first and failures last, as a JSON round trip has no order.
    for (let i = at === first ? calls - partial : 0; i < calls; i++) {
      target.record(now, (i >= calls - failures ? FAILED : 0) | (i < slowCalls ? SLOW : 0));
    }
  }
  return target;
}

/** Checks a snapshot from `toJSON()`, naming what is wrong; allocates nothing from its numbers. */
function checkSnapshot(snapshot: unknown): CheckedSnapshot {
  if (typeof snapshot !== "object" || snapshot === null) {
    throw new TypeError(`a window snapshot must be an object, got ${describeValue(snapshot)}`);
  }
  const given = snapshot as Record<string, unknown>;
  if (given["kind"] === "count") {
    const size = given["size"];
    assertIntegerBetween("a count window snapshot's size", size, 1, MAX_WINDOW_CALLS);
    const outcomes = given["outcomes"];
    if (!Array.isArray(outcomes)) {
      throw new TypeError(
        `a count window snapshot needs outcomes: an array of 0..3, got ${describeValue(outcomes)}`,
      );
    }
    // Checked before the outcomes themselves, so that checking them is bounded too.
    if (outcomes.length > size) {
      throw new RangeError(
        `a count window snapshot holds at most size outcomes, got ${String(outcomes.length)} outcomes for size ${String(size)}`,
      );
    }
    if (!outcomes.every((f) => f === 0 || f === 1 || f === 2 || f === 3)) {
      throw new TypeError(
        `a count window snapshot needs outcomes: an array of 0..3, got ${describeValue(outcomes)}`,
      );
    }
    return { kind: "count", size, outcomes: outcomes as number[] };
  }
  if (given["kind"] === "time") {
    const { duration, buckets } = checkTimeShape(given["duration"], given["buckets"], {
      duration: "a time window snapshot's duration",
      buckets: "a time window snapshot's buckets",
      ratio: "a time window snapshot's duration / buckets",
    });
    const data = given["data"];
    if (!Array.isArray(data)) {
      throw new TypeError(
        `a time window snapshot needs data: an array, got ${describeValue(data)}`,
      );
    }
    // toJSON() exports one entry per bucket that holds calls.
    if (data.length > buckets) {
      throw new RangeError(
        `a time window snapshot holds at most one entry per bucket, got ${String(data.length)} entries for ${String(buckets)} buckets`,
      );
    }
    return { kind: "time", duration, buckets, data: data.map(checkBucket) };
  }
  throw new TypeError(
    `a window snapshot's kind must be "count" or "time", got ${describeValue(given["kind"])}`,
  );
}

function checkBucket(bucket: unknown): Bucket {
  const given = (typeof bucket === "object" && bucket !== null ? bucket : {}) as Record<
    string,
    unknown
  >;
  const { start, calls, failures, slowCalls } = given;
  if (
    typeof start !== "number" ||
    !Number.isFinite(start) ||
    !isCount(calls) ||
    !isCount(failures) ||
    !isCount(slowCalls) ||
    failures > calls ||
    slowCalls > calls
  ) {
    throw new TypeError(
      `a time window bucket needs start (epoch ms) and calls >= failures, slowCalls (integers from 0 to ${String(MAX_BUCKET_CALLS)}), got ${describeValue(bucket)}`,
    );
  }
  return { start, calls, failures, slowCalls };
}

function isCount(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_BUCKET_CALLS
  );
}
