import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallTimeoutError, CircuitBreaker } from "../src/index.js";

const TIMEOUT = 100;

interface PlannedCall {
  /** Fake ms after the previous call started. */
  readonly gap: number;
  /** Fake ms the work takes; never within 1 ms of the timeout, where the order is a tie. */
  readonly duration: number;
  readonly fails: boolean;
  /** Whether the call goes through `execute` (the full controlled path) or `call` (the lean one). */
  readonly withOptions: boolean;
}

const plannedCall: fc.Arbitrary<PlannedCall> = fc.record({
  gap: fc.integer({ min: 0, max: 60 }),
  duration: fc.oneof(
    fc.integer({ min: 0, max: TIMEOUT - 2 }),
    fc.integer({ min: TIMEOUT + 2, max: 300 }),
  ),
  fails: fc.boolean(),
  withOptions: fc.boolean(),
});

describe("callTimeout against a model, over random interleavings", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("each call times out exactly when its own work outlasts the timeout, and nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plannedCall, { minLength: 1, maxLength: 12 }), async (plan) => {
        const events = { success: 0, failure: 0, timeout: 0 };
        const breaker = new CircuitBreaker({
          callTimeout: TIMEOUT,
          failMax: Number.MAX_SAFE_INTEGER,
          listeners: [
            {
              success: () => {
                events.success++;
              },
              failure: () => {
                events.failure++;
              },
              timeout: () => {
                events.timeout++;
              },
            },
          ],
        });
        const signals: (AbortSignal | undefined)[] = [];
        const outcomes: Promise<unknown>[] = [];
        for (const [index, call] of plan.entries()) {
          await vi.advanceTimersByTimeAsync(call.gap);
          const work = (options?: { signal?: AbortSignal | undefined }) => {
            signals[index] = options?.signal;
            return new Promise((resolve, reject) => {
              setTimeout(() => {
                if (call.fails) reject(new Error(`failed ${String(index)}`));
                else resolve(index);
              }, call.duration);
            });
          };
          const pending = call.withOptions
            ? breaker.execute(({ signal }) => work({ signal }))
            : breaker.call(() => work());
          outcomes.push(
            pending.then(
              (value) => ({ value }),
              (error: unknown) => error,
            ),
          );
        }
        await vi.advanceTimersByTimeAsync(400);
        const settled = await Promise.all(outcomes);

        let timeouts = 0;
        let failures = 0;
        let successes = 0;
        for (const [index, call] of plan.entries()) {
          const got = settled[index];
          if (call.duration > TIMEOUT) {
            timeouts++;
            expect(got).toBeInstanceOf(CallTimeoutError);
            if (call.withOptions) expect(signals[index]?.aborted).toBe(true);
          } else if (call.fails) {
            failures++;
            expect(got).toEqual(new Error(`failed ${String(index)}`));
            if (call.withOptions) expect(signals[index]?.aborted).toBe(false);
          } else {
            successes++;
            expect(got).toEqual({ value: index });
            if (call.withOptions) expect(signals[index]?.aborted).toBe(false);
          }
        }
        expect(events).toEqual({
          success: successes,
          failure: failures + timeouts,
          timeout: timeouts,
        });
        // Every deadline is gone, and the shared timer has run out.
        await vi.advanceTimersByTimeAsync(TIMEOUT);
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
