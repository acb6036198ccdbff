import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CountWindow,
  FAILED,
  SLOW,
  TimeWindow,
  createWindow,
  rates,
  type FailureWindow,
} from "../src/outcome-window.js";
import { reshapeWindow, restoreWindow } from "../src/window-snapshot.js";

const totals = (w: FailureWindow) => [w.calls, w.failures, w.slowCalls];

describe("CountWindow", () => {
  it("keeps the last N outcomes and forgets older ones on wrap-around", () => {
    const w = new CountWindow(3);
    w.record(0, FAILED);
    w.record(0, SLOW);
    expect(totals(w)).toEqual([2, 1, 1]);
    w.record(0, FAILED | SLOW);
    w.record(0, 0); // pushes out the first FAILED
    expect(totals(w)).toEqual([3, 1, 2]);
    expect(w.outcomes()).toEqual([SLOW, FAILED | SLOW, 0]);
    w.clear();
    expect(totals(w)).toEqual([0, 0, 0]);
  });
});

describe("TimeWindow", () => {
  it("puts a record at a bucket's first ms into that bucket and rolls bucket by bucket", () => {
    const w = new TimeWindow(1_000, 10); // 100 ms buckets
    w.record(99, FAILED); // bucket 0, last ms
    w.record(100, 0); // bucket 1, first ms
    expect(totals(w)).toEqual([2, 1, 0]);
    w.advance(1_099); // window is buckets 1..10: bucket 0 is gone
    expect(totals(w)).toEqual([1, 0, 0]);
    w.advance(1_100); // bucket 1 gone too
    expect(totals(w)).toEqual([0, 0, 0]);
  });

  it("a gap of exactly k buckets drops exactly the k oldest", () => {
    const w = new TimeWindow(400, 4);
    for (let t = 0; t < 400; t += 100) w.record(t, FAILED);
    expect(w.calls).toBe(4);
    w.advance(500); // two buckets later
    expect(w.calls).toBe(2);
  });

  it("an idle gap longer than the window empties it", () => {
    const w = new TimeWindow(1_000, 4);
    w.record(0, FAILED);
    w.record(10, FAILED);
    w.advance(50_000);
    expect(totals(w)).toEqual([0, 0, 0]);
    w.record(50_001, 0);
    expect(totals(w)).toEqual([1, 0, 0]);
  });

  it("a clock moving back by more than the window starts it afresh", () => {
    const w = new TimeWindow(1_000, 10);
    w.record(5_000, FAILED);
    w.record(1_000, 0); // 4 s back: what was recorded is dated in the future
    expect(totals(w)).toEqual([1, 0, 0]);
    w.advance(1_999);
    expect(w.calls).toBe(1);
    w.advance(2_000);
    expect(w.calls).toBe(0);
  });

  it("matches a reference model over random steps, idle gaps, backwards clocks and bucket edges", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("record" as const), flags: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("forward" as const), by: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ kind: fc.constant("forward" as const), by: fc.integer({ min: 0, max: 5_000 }) }),
      fc.record({ kind: fc.constant("back" as const), by: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ kind: fc.constant("edge" as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(step, { maxLength: 80 }),
        (buckets, width, steps) => {
          const w = new TimeWindow(buckets * width, buckets);
          let model: { bucket: number; flags: number }[] = [];
          let now = 10_000;
          let newest = -Infinity;
          // Forward: buckets older than the window go for good. Back past the bucket just before
          // the newest: the buckets after now's go; into that one, the newest bucket takes it.
          const moveTo = (bucket: number) => {
            if (bucket > newest) {
              newest = bucket;
              model = model.filter((r) => r.bucket > newest - buckets);
            } else if (bucket < newest - 1) {
              newest = bucket;
              model = model.filter((r) => r.bucket <= newest);
            }
          };
          for (const s of steps) {
            if (s.kind === "forward") now += s.by;
            else if (s.kind === "back") now -= s.by;
            else if (s.kind === "edge") now = (Math.floor(now / width) + 1) * width - (now % 2);
            moveTo(Math.floor(now / width));
            if (s.kind === "record") {
              model.push({ bucket: newest, flags: s.flags });
              w.record(now, s.flags);
            } else {
              w.advance(now);
            }
            expect(totals(w)).toEqual([
              model.length,
              model.filter((r) => r.flags & FAILED).length,
              model.filter((r) => r.flags & SLOW).length,
            ]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("CountWindow property", () => {
  it("matches the last N outcomes of a plain array", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 60 }),
        (size, outcomes) => {
          const w = new CountWindow(size);
          const seen: number[] = [];
          for (const flags of outcomes) {
            w.record(0, flags);
            seen.push(flags);
            const last = seen.slice(-size);
            expect(totals(w)).toEqual([
              last.length,
              last.filter((f) => f & FAILED).length,
              last.filter((f) => f & SLOW).length,
            ]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("snapshots and reshaping", () => {
  it("a fractional bucket width restores each bucket into itself", () => {
    const w = createWindow({ duration: 7, buckets: 3 }); // 7/3 ms buckets
    for (let t = 30; t < 37; t++) w.record(t, FAILED);
    const restored = restoreWindow(JSON.parse(JSON.stringify(w)), 36);
    w.advance(40);
    restored.advance(40);
    expect(totals(restored)).toEqual(totals(w));
    expect(w.calls).toBe(2); // t = 35 and 36 sit in bucket 15 = [35, 37.33)
  });

  it("a time where the division rounds up to the next bucket stays in its own bucket", () => {
    // With 7/3 ms buckets, 63 / (7/3) rounds to exactly 27 although 27 * (7/3) is just above 63:
    // 63 belongs to bucket 26, however the window is reached (advance first or record directly).
    const viaAdvance = createWindow({ duration: 7, buckets: 3 });
    viaAdvance.record(62, 0);
    viaAdvance.advance(63);
    viaAdvance.record(63, FAILED);
    const direct = createWindow({ duration: 7, buckets: 3 });
    direct.record(62, 0);
    direct.record(63, FAILED);
    for (const w of [viaAdvance, direct]) {
      expect(w.toJSON()).toMatchObject({ data: [{ calls: 2, failures: 1 }] });
    }
  });

  it("an empty time window exports no buckets", () => {
    expect(createWindow({ duration: 100, buckets: 2 }).toJSON()).toEqual({
      kind: "time",
      duration: 100,
      buckets: 2,
      data: [],
    });
  });

  it("round-trips both kinds through JSON", () => {
    const count = createWindow({ calls: 3 });
    for (const f of [FAILED, 0, SLOW, FAILED]) count.record(0, f);
    const back = restoreWindow(JSON.parse(JSON.stringify(count)), 0);
    expect(totals(back)).toEqual(totals(count));
    const time = createWindow({ duration: 1_000, buckets: 4 });
    time.record(100, FAILED);
    time.record(600, SLOW);
    const restored = restoreWindow(JSON.parse(JSON.stringify(time)), 700);
    expect(totals(restored)).toEqual([2, 1, 1]);
    // Restored later, the part older than the window is gone.
    expect(totals(restoreWindow(time.toJSON(), 1_300))).toEqual([1, 0, 1]);
  });

  it("reshapes count to count (newest kept), time to time, and across kinds", () => {
    const count = createWindow({ calls: 4 });
    for (const f of [FAILED, FAILED, 0, SLOW]) count.record(0, f);
    expect(totals(reshapeWindow(count, { calls: 2 }, 0))).toEqual([2, 0, 1]);
    expect(totals(reshapeWindow(count, { duration: 1_000 }, 5_000))).toEqual([4, 2, 1]);
    const time = createWindow({ duration: 1_000, buckets: 10 });
    time.record(0, FAILED);
    time.record(900, 0);
    expect(totals(reshapeWindow(time, { duration: 500, buckets: 5 }, 950))).toEqual([1, 0, 0]);
    expect(totals(reshapeWindow(time, { duration: 2_000, buckets: 4 }, 950))).toEqual([2, 1, 0]);
    expect(totals(reshapeWindow(time, { calls: 1 }, 950))).toEqual([1, 0, 0]); // the newest call
  });

  it("rates are percentages, 0 when empty", () => {
    expect(rates({ calls: 0, failures: 0, slowCalls: 0 })).toEqual({
      failureRate: 0,
      slowCallRate: 0,
    });
    expect(rates({ calls: 4, failures: 1, slowCalls: 2 })).toEqual({
      failureRate: 25,
      slowCallRate: 50,
    });
  });
});

describe("bad window options", () => {
  it.each([
    [{ calls: 0 }, "window.calls must be an integer from 1 to 1000000, got 0"],
    [{ calls: 1.5 }, "window.calls must be an integer from 1 to 1000000, got 1.5"],
    [
      { duration: 0 },
      "window.duration must be a number of ms > 0 and <= 86400000 (one day), got 0",
    ],
    [
      { duration: Infinity },
      "window.duration must be a number of ms > 0 and <= 86400000 (one day), got Infinity",
    ],
    [
      { duration: Number.NaN },
      "window.duration must be a number of ms > 0 and <= 86400000 (one day), got NaN",
    ],
    [{ duration: 1_000, buckets: 0 }, "window.buckets must be an integer from 1 to 10000, got 0"],
    [
      { duration: 5, buckets: 10 },
      "window.duration / window.buckets must be at least 1 ms, got 5 / 10",
    ],
    [{ calls: 5, duration: 5 }, "window takes either calls or duration (with buckets), not both"],
    [{ size: 5 }, 'unknown window option "size"'],
    [5, "window must be { calls } or { duration, buckets }, got 5"],
  ])("%o", (spec, message) => {
    expect(() => createWindow(spec as never)).toThrow(message);
  });

  it("a time snapshot into a count window skips buckets older than the window", () => {
    const snapshot = {
      kind: "time",
      duration: 100,
      buckets: 2,
      data: [
        { start: 0, calls: 5, failures: 5, slowCalls: 0 },
        { start: 500, calls: 2, failures: 1, slowCalls: 1 },
      ],
    };
    const time = restoreWindow(snapshot, 550);
    expect(totals(time)).toEqual([2, 1, 1]);
    expect(totals(reshapeWindow(time, { calls: 10 }, 550))).toEqual([2, 1, 1]);
    // No breaker exports a count snapshot longer than its size.
    expect(() => restoreWindow({ kind: "count", size: 2, outcomes: [1, 1, 0, 0] }, 0)).toThrow(
      "a count window snapshot holds at most size outcomes, got 4 outcomes for size 2",
    );
  });

  it.each([
    [{ start: "0", calls: 1, failures: 0, slowCalls: 0 }],
    [{ start: Infinity, calls: 1, failures: 0, slowCalls: 0 }],
    [{ start: 0, calls: -1, failures: 0, slowCalls: 0 }],
    [{ start: 0, calls: 1, failures: 0.5, slowCalls: 0 }],
    [{ start: 0, calls: 1, failures: 0, slowCalls: 2 }],
    [null],
  ])("a bad time bucket %o is named", (bucket) => {
    expect(() =>
      restoreWindow({ kind: "time", duration: 100, buckets: 1, data: [bucket] }, 0),
    ).toThrow("a time window bucket needs start (epoch ms) and calls >= failures, slowCalls");
  });

  it("restoreWindow names what is wrong", () => {
    expect(() => restoreWindow({ kind: "ring" }, 0)).toThrow(
      'kind must be "count" or "time", got "ring"',
    );
    expect(() => restoreWindow({ kind: "count", size: 2, outcomes: [7] }, 0)).toThrow(
      "outcomes: an array of 0..3",
    );
    expect(() => restoreWindow({ kind: "count", size: 2, outcomes: "01" }, 0)).toThrow(
      'a count window snapshot needs outcomes: an array of 0..3, got "01"',
    );
    expect(() =>
      restoreWindow(
        {
          kind: "time",
          duration: 100,
          buckets: 1,
          data: [{ start: 0, calls: 1, failures: 2, slowCalls: 0 }],
        },
        0,
      ),
    ).toThrow("calls >= failures");
    expect(() => restoreWindow(null, 0)).toThrow("a window snapshot must be an object, got null");
  });
});
