import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../src/index.js";
import {
  MAX_WINDOW_BUCKETS,
  MAX_WINDOW_CALLS,
  MAX_WINDOW_DURATION,
  createWindow,
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
