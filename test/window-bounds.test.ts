import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../src/index.js";
import {
  MAX_BUCKET_CALLS,
  MAX_WINDOW_BUCKETS,
  MAX_WINDOW_CALLS,
  MAX_WINDOW_DURATION,
  createWindow,
  type WindowSpec,
} from "../src/outcome-window.js";

describe("window option bounds", () => {
  it.each([
    [
      { calls: 1e10 },
      RangeError,
      "window.calls must be an integer from 1 to 1000000, got 10000000000",
    ],
    [{ calls: 0 }, RangeError, "window.calls must be an integer from 1 to 1000000, got 0"],
    [
      { calls: "5" },
      TypeError,
      'window.calls must be an integer from 1 to 1000000, got "5" (string)',
    ],
    [
      { duration: 1e12, buckets: 10 },
      RangeError,
      "window.duration must be a number of ms > 0 and <= 86400000 (one day), got 1000000000000",
    ],
    [
      { duration: "1000" },
      TypeError,
      'window.duration must be a number of ms > 0 and <= 86400000 (one day), got "1000" (string)',
    ],
    [
      { duration: 60_000, buckets: 2e8 },
      RangeError,
      "window.buckets must be an integer from 1 to 10000, got 200000000",
    ],
  ])("%o is refused, naming the option", (spec, type, message) => {
    expect(() => createWindow(spec as never)).toThrow(type);
    expect(() => createWindow(spec as never)).toThrow(message);
    expect(() => new CircuitBreaker({ window: spec as never })).toThrow(message);
  });

  it("the largest windows are accepted", () => {
    expect(createWindow({ calls: MAX_WINDOW_CALLS }).kind).toBe("count");
    expect(createWindow({ duration: MAX_WINDOW_DURATION, buckets: MAX_WINDOW_BUCKETS }).kind).toBe(
      "time",
    );
    const breaker = new CircuitBreaker({ window: { calls: 1 } });
    expect(() => {
      breaker.reconfigure({ window: { calls: MAX_WINDOW_CALLS + 1 } });
    }).toThrow("window.calls must be an integer from 1 to 1000000, got 1000001");
  });
});

describe("window snapshots beyond sane bounds", () => {
  const restore = (window: unknown, spec: WindowSpec = { calls: 5 }) =>
    new CircuitBreaker({
      window: spec,
      clock: { now: () => NOW },
      initialState: { state: "closed", window: window as never },
    });

  it.each([
    [
      { kind: "count", size: 1e15, outcomes: [1] },
      "initialState.window: a count window snapshot's size must be an integer from 1 to 1000000, got 1000000000000000",
    ],
    [
      { kind: "count", size: 2, outcomes: [1, 0, 1] },
      "initialState.window: a count window snapshot holds at most size outcomes, got 3 outcomes for size 2",
    ],
    [
      { kind: "time", duration: 60_000, buckets: 2e8, data: [] },
      "initialState.window: a time window snapshot's buckets must be an integer from 1 to 10000, got 200000000",
    ],
    [
      { kind: "time", duration: 1e12, buckets: 10, data: [] },
      "initialState.window: a time window snapshot's duration must be a number of ms > 0 and <= 86400000 (one day), got 1000000000000",
    ],
    [
      { kind: "time", duration: 5, buckets: 10, data: [] },
      "initialState.window: a time window snapshot's duration / buckets must be at least 1 ms, got 5 / 10",
    ],
    [
      {
        kind: "time",
        duration: 1_000,
        buckets: 2,
        data: [bucket(0, 1), bucket(500, 1), bucket(900, 1)],
      },
      "initialState.window: a time window snapshot holds at most one entry per bucket, got 3 entries for 2 buckets",
    ],
    [
      { kind: "time", duration: 1_000, buckets: 2, data: [bucket(NOW, 1e15)] },
      `initialState.window: a time window bucket needs start (epoch ms) and calls >= failures, slowCalls (integers from 0 to ${String(MAX_BUCKET_CALLS)}), got an object`,
    ],
  ])("%o is refused, naming the field", (window, message) => {
    expect(() => restore(window)).toThrow(message);
    expect(() => restore(window, { duration: 1_000 })).toThrow(message);
  });

  it("a bound is a RangeError, a wrong type a TypeError", () => {
    expect(() => restore({ kind: "count", size: 1e15, outcomes: [] })).toThrow(RangeError);
    expect(() => restore({ kind: "count", size: "5", outcomes: [] })).toThrow(TypeError);
  });

  it("a time snapshot into a count window takes only the newest calls that fit", () => {
    // Before the fix this looped once per call: 9e11 times.
    const huge = MAX_BUCKET_CALLS;
    const breaker = restore({
      kind: "time",
      duration: 10_000,
      buckets: 10,
      data: [bucket(NOW - 2_000, huge, huge, 0), bucket(NOW - 1_000, 3, 1, 3)],
    });
    // The newest bucket's 3 calls (successes first, slow calls oldest), then the newest 2 of the
    // older bucket, both failures.
    expect(metrics(breaker)).toEqual([5, 3, 3]);
    expect(breaker.toJSON().window).toEqual({ kind: "count", size: 5, outcomes: [1, 1, 2, 2, 3] });
  });

  it("within a bucket, the newest calls are its failures and its oldest its slow calls", () => {
    const breaker = restore({
      kind: "time",
      duration: 10_000,
      buckets: 10,
      data: [bucket(NOW, MAX_BUCKET_CALLS, 3, MAX_BUCKET_CALLS - 1)],
    });
    expect(breaker.toJSON().window).toEqual({ kind: "count", size: 5, outcomes: [2, 2, 3, 3, 1] });
  });

  it("a count snapshot into a time window lands in the bucket of now", () => {
    const breaker = restore(
      { kind: "count", size: 4, outcomes: [1, 0, 3, 2] },
      { duration: 1_000 },
    );
    expect(metrics(breaker)).toEqual([4, 2, 2]);
  });

  it("reconfigure reshapes a time window of huge buckets into a count window at once", () => {
    const breaker = restore(
      { kind: "time", duration: 10_000, buckets: 10, data: [bucket(NOW, MAX_BUCKET_CALLS, 7)] },
      { duration: 10_000, buckets: 10 },
    );
    expect(metrics(breaker)).toEqual([MAX_BUCKET_CALLS, 7, 0]);
    breaker.reconfigure({ window: { calls: 10 } });
    expect(metrics(breaker)).toEqual([10, 7, 0]);
    breaker.reconfigure({ window: { calls: 3 } });
    expect(metrics(breaker)).toEqual([3, 3, 0]);
    breaker.reconfigure({ window: { duration: 5_000 } });
    expect(metrics(breaker)).toEqual([3, 3, 0]);
  });

  it("a time snapshot into a smaller time window keeps what is inside the smaller one", () => {
    const breaker = restore(
      {
        kind: "time",
        duration: 10_000,
        buckets: 10_000,
        data: [bucket(NOW - 5_000, 4, 4), bucket(NOW - 500, 2, 1), bucket(NOW + 1, 9, 9)],
      },
      { duration: 1_000, buckets: 2 },
    );
    expect(metrics(breaker)).toEqual([2, 1, 0]);
  });
});

const NOW = 1_000_000;

function bucket(start: number, calls: number, failures = 0, slowCalls = 0) {
  return { start, calls, failures, slowCalls };
}

function metrics(breaker: CircuitBreaker): number[] {
  const { calls, failures, slowCalls } = breaker.metrics;
  return [calls, failures, slowCalls];
}
