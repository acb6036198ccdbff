import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exponentialBackoff } from "../src/index.js";

describe("exponentialBackoff", () => {
  it("grows by the multiplier up to the cap, without jitter", () => {
    const backoff = exponentialBackoff({ initial: 100, max: 1_000, multiplier: 3, jitter: "none" });
    expect([1, 2, 3, 4, 5].map((a) => backoff(a, undefined))).toEqual([
      100, 300, 900, 1_000, 1_000,
    ]);
  });

  it("spreads each jitter mode as documented", () => {
    const at = (jitter: "full" | "equal" | number, r: number) =>
      exponentialBackoff({ initial: 1_000, jitter, random: () => r })(1, undefined);
    expect([at("full", 0), at("full", 0.5), at("full", 0.999)]).toEqual([0, 500, 999]);
    expect([at("equal", 0), at("equal", 0.5), at("equal", 0.999)]).toEqual([500, 750, 1_000]);
    expect([at(0.2, 0), at(0.2, 0.5)]).toEqual([800, 900]);
  });

  it("stays finite and capped for huge attempts", () => {
    const backoff = exponentialBackoff({ initial: 1, max: 5_000, jitter: "none" });
    expect(backoff(1e6, undefined)).toBe(5_000);
    expect(backoff(Number.MAX_SAFE_INTEGER, undefined)).toBe(5_000);
  });

  it("is an integer in [0, max], non-decreasing without jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 2_000 }),
        (initial, extra, multiplier, attempt) => {
          const max = initial + extra;
          const backoff = exponentialBackoff({ initial, max, multiplier, jitter: "none" });
          const value = backoff(attempt, undefined);
          expect(Number.isInteger(value) && value >= 0 && value <= max).toBe(true);
          expect(backoff(attempt + 1, undefined)).toBeGreaterThanOrEqual(value);
        },
      ),
    );
  });

  it.each([
    [{ initial: -1 }, "exponentialBackoff: initial must be a finite number >= 0, got -1"],
    [{ max: 5 }, "exponentialBackoff: max must be >= initial (1000), got 5"],
    [{ multiplier: 0.5 }, "exponentialBackoff: multiplier must be a finite number >= 1, got 0.5"],
    [
      { jitter: "lots" },
      'exponentialBackoff: jitter must be "none", "full", "equal" or a number in [0, 1], got "lots"',
    ],
    [{ jitter: 2 }, "got 2"],
    [{ random: 4 }, "exponentialBackoff: random must be a function, got 4"],
    [{ cap: 1 }, 'exponentialBackoff: unknown option "cap"'],
    [
      { initial: null },
      "exponentialBackoff: initial must not be null; leave it out or pass undefined for the default",
    ],
  ])("rejects %o", (options, message) => {
    expect(() => exponentialBackoff(options as never)).toThrow(message);
  });
});

it("takes undefined for any option as its default", () => {
  const backoff = exponentialBackoff({
    initial: undefined,
    max: undefined,
    multiplier: undefined,
    jitter: "none",
    random: undefined,
  });
  expect([backoff(1, undefined), backoff(2, undefined)]).toEqual([1_000, 2_000]);
});
