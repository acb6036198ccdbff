import { describeValue } from "./describe.js";
import {
  CountWindow,
  FAILED,
  SLOW,
  TimeWindow,
  createWindow,
  type FailureWindow,
  type WindowSnapshot,
  type WindowSpec,
} from "./outcome-window.js";
import { assertInteger } from "./validate.js";

type TimeSnapshot = Extract<WindowSnapshot, { kind: "time" }>;

/**
 * The window a breaker configured with `spec` restores from an `initialState` window snapshot:
 * rebuilt as of `now`, then reshaped to `spec`. A bad snapshot is a `TypeError` naming the field.
 */
export function restoreWindowAs(snapshot: unknown, spec: WindowSpec, now: number): FailureWindow {
  let window: FailureWindow;
  try {
    window = restoreWindow(snapshot, now);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TypeError(`initialState.window: ${message}`, { cause: error });
  }
  return reshapeWindow(window, spec, now);
}

/** Builds a window from a snapshot (from `toJSON()`), as of `now`; names what is wrong. */
export function restoreWindow(snapshot: unknown, now: number): FailureWindow {
  if (typeof snapshot !== "object" || snapshot === null) {
    throw new TypeError(`a window snapshot must be an object, got ${describeValue(snapshot)}`);
  }
  const given = snapshot as Record<string, unknown>;
  if (given["kind"] === "count") {
    const outcomes = given["outcomes"];
    assertInteger("window snapshot size", given["size"], 1);
    if (
      !Array.isArray(outcomes) ||
      !outcomes.every((f) => f === 0 || f === 1 || f === 2 || f === 3)
    ) {
      throw new TypeError(
        `a count window snapshot needs outcomes: an array of 0..3, got ${describeValue(outcomes)}`,
      );
    }
    return pourOutcomes(outcomes as number[], new CountWindow(given["size"]), now);
  }
  if (given["kind"] === "time") {
    const window = createWindow({
      duration: given["duration"] as number,
      buckets: given["buckets"] as number,
    });
    return pourBuckets(snapshot as TimeSnapshot, window, now);
  }
  throw new TypeError(
    `a window snapshot's kind must be "count" or "time", got ${describeValue(given["kind"])}`,
  );
}

/**
 * A new window of shape `spec` holding as much of `window`'s contents as fits: into a count
 * window the newest outcomes, into a time window everything still inside it at `now`.
 */
export function reshapeWindow(window: FailureWindow, spec: WindowSpec, now: number): FailureWindow {
  const snapshot = window.toJSON();
  const target = createWindow(spec);
  return snapshot.kind === "count"
    ? pourOutcomes(snapshot.outcomes, target, now)
    : pourBuckets(snapshot, target, now);
}

/** Records outcomes (oldest first) into `target`, all at `now`; a count window keeps the newest. */
function pourOutcomes(
  outcomes: readonly number[],
  target: FailureWindow,
  now: number,
): FailureWindow {
  const keep = target instanceof CountWindow ? outcomes.slice(-target.size) : outcomes;
  for (const flags of keep) target.record(now, flags);
  return target;
}

/** Pours a time snapshot's buckets into `target`, dropping what is older than its window at `now`. */
function pourBuckets(snapshot: TimeSnapshot, target: FailureWindow, now: number): FailureWindow {
  if (!Array.isArray(snapshot.data)) {
    throw new TypeError(
      `a time window snapshot needs data: an array, got ${describeValue(snapshot.data)}`,
    );
  }
  if (target instanceof TimeWindow) {
    target.advance(now);
    for (const bucket of snapshot.data) {
      const { start, calls, failures, slowCalls } = checkBucket(bucket);
      if (start > now) continue;
      target.add(start, calls, failures, slowCalls);
    }
    target.advance(now);
    return target;
  }
  // Into a count window: oldest bucket first, successes before failures within a bucket.
  for (const bucket of snapshot.data) {
    const { start, calls, failures, slowCalls } = checkBucket(bucket);
    if (start <= now - snapshot.duration) continue;
    for (let i = 0; i < calls; i++) {
      const failed = i >= calls - failures ? FAILED : 0;
      const slow = i < slowCalls ? SLOW : 0;
      target.record(now, failed | slow);
    }
  }
  return target;
}

function checkBucket(bucket: unknown): {
  start: number;
  calls: number;
  failures: number;
  slowCalls: number;
} {
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
      `a time window bucket needs start (epoch ms) and calls >= failures, slowCalls (integers >= 0), got ${describeValue(bucket)}`,
    );
  }
  return { start, calls, failures, slowCalls };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
