import { describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerMode } from "../src/index.js";
import { FAILED, TimeWindow, type FailureWindow } from "../src/outcome-window.js";
import { manualClock } from "./support.js";

const totals = (w: FailureWindow) => [w.calls, w.failures, w.slowCalls];
const data = (w: FailureWindow) => {
  const snapshot = w.toJSON();
  return snapshot.kind === "time" ? snapshot.data : undefined;
};
const HOUR = 3_600_000;

describe("a clock that jumps forward and is corrected", () => {
  it("the window reflects the last duration of the corrected clock", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ clock, window: { duration: 10_000 } });
    breaker.disable(); // metrics only: the failures must stay in the window, not trip
    expect(breaker.mode).toBe(CircuitBreakerMode.DISABLED);
    const start = time.now;
    time.now = start + HOUR; // a wrong clock, an hour ahead
    for (let i = 0; i < 50; i++) {
      await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    }
    expect(breaker.metrics.failures).toBe(50);
    time.now = start + 1_000; // corrected
    expect(breaker.metrics).toMatchObject({ calls: 0, failures: 0 });
    await breaker.call(() => "ok");
    expect(breaker.metrics).toMatchObject({ calls: 1, failures: 0 });
    expect(breaker.toJSON().window).toMatchObject({ data: [{ start: start + 1_000, calls: 1 }] });
  });

  it("recording first, without an advance, also drops what the wrong clock recorded", () => {
    const w = new TimeWindow(10_000, 10);
    w.record(HOUR, FAILED);
    w.record(1_000, 0);
    expect(totals(w)).toEqual([1, 0, 0]);
  });
});

describe("a clock that moves backwards", () => {
  it("by less than a bucket: records into the newest bucket and loses nothing", () => {
    const w = new TimeWindow(1_000, 10); // 100 ms buckets
    w.record(5_050, FAILED); // bucket 50
    w.record(4_990, 0); // 60 ms back, into bucket 49: recorded in 50
    expect(totals(w)).toEqual([2, 1, 0]);
    expect(data(w)).toEqual([{ start: 5_000, calls: 2, failures: 1, slowCalls: 0 }]);
    w.advance(5_999);
    expect(w.calls).toBe(2);
    w.advance(6_000);
    expect(w.calls).toBe(0);
  });

  it("by more than a bucket: drops the buckets dated after now, keeps the older ones", () => {
    const w = new TimeWindow(1_000, 10);
    w.record(4_200, FAILED); // bucket 42
    w.record(4_500, FAILED); // bucket 45
    w.record(4_900, FAILED); // bucket 49
    w.advance(4_300); // back to bucket 43: 45 and 49 are in the future
    expect(totals(w)).toEqual([1, 1, 0]);
    w.record(4_300, 0);
    expect(data(w)).toEqual([
      { start: 4_200, calls: 1, failures: 1, slowCalls: 0 },
      { start: 4_300, calls: 1, failures: 0, slowCalls: 0 },
    ]);
    // Forward again, through the slots the future buckets held: nothing of them comes back.
    w.advance(4_950);
    expect(totals(w)).toEqual([2, 1, 0]);
  });

  it("by a whole window or more: empties the window", () => {
    const w = new TimeWindow(1_000, 10);
    w.record(5_000, FAILED);
    w.record(5_950, FAILED);
    w.advance(4_950); // one window back from bucket 59
    expect(totals(w)).toEqual([0, 0, 0]);
    expect(data(w)).toEqual([]);
  });

  it("a one-bucket window: a step into the bucket before is small, further back empties it", () => {
    const w = new TimeWindow(100, 1);
    w.record(1_050, FAILED);
    w.record(999, FAILED); // into bucket 9, just before: recorded in bucket 10
    expect(w.calls).toBe(2);
    w.record(899, 0); // bucket 8: two back, more than the window
    expect(totals(w)).toEqual([1, 0, 0]);
  });

  it("add() drops counts dated after the window's newest bucket", () => {
    const w = new TimeWindow(1_000, 10);
    w.advance(5_000);
    w.add(5_100, 3, 3, 0); // after now
    w.add(5_050, 2, 1, 0); // in now's bucket
    w.add(3_900, 4, 4, 0); // aged out
    expect(totals(w)).toEqual([2, 1, 0]);
  });

  it("a restored snapshot drops buckets dated after the breaker's now", () => {
    const { time, clock } = manualClock();
    const future = { start: time.now + HOUR, calls: 9, failures: 9, slowCalls: 0 };
    const present = { start: time.now - 500, calls: 2, failures: 1, slowCalls: 0 };
    const window = {
      kind: "time",
      duration: 10_000,
      buckets: 10,
      data: [present, future],
    } as const;
    for (const spec of [{ duration: 10_000 }, { calls: 20 }]) {
      const breaker = new CircuitBreaker({
        clock,
        window: spec,
        initialState: { state: "closed", window },
      });
      expect(breaker.metrics).toMatchObject({ calls: 2, failures: 1 });
    }
  });
});

describe("toJSON", () => {
  it("exports the window as of now, agreeing with metrics", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ clock, window: { duration: 10_000 }, minimumCalls: 100 });
    for (let i = 0; i < 5; i++) {
      await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    }
    expect(breaker.toJSON()).toMatchObject({
      state: "closed",
      window: { data: [{ calls: 5, failures: 5 }] },
      metrics: { calls: 5, failures: 5 },
    });
    time.now += HOUR;
    const snapshot = breaker.toJSON();
    expect(snapshot.window).toEqual({ kind: "time", duration: 10_000, buckets: 10, data: [] });
    expect(snapshot.metrics).toMatchObject({ calls: 0, failures: 0 });
  });
});
