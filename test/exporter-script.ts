// A scripted run of calls with every outcome, shared by the exporter tests. Run it under
// vi.useFakeTimers(): performance.now() is faked too, so every duration is exact.
import { expect, vi } from "vitest";
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerError,
  ConcurrencyLimitError,
  type CircuitBreakerMonitor,
} from "../src/index.js";

/** A breaker that trips at the third consecutive failure, with a timeout and a concurrency limit. */
export function scriptedBreaker(name: string, monitor: CircuitBreakerMonitor): CircuitBreaker {
  return new CircuitBreaker({
    name,
    monitor,
    failMax: 3,
    callTimeout: 100,
    maxConcurrentCalls: 1,
    exclude: [TypeError],
    resetTimeout: 60_000,
  });
}

/** Each outcome's count after {@link runScript}. */
export const SCRIPT_COUNTS = {
  success: 3,
  failure: 2,
  timeout: 1,
  rejected: 2,
  neutral: 1,
  excluded: 1,
  concurrency_limited: 1,
} as const;

/** The durations (seconds) of the calls that ran in {@link runScript}, by outcome. */
export const SCRIPT_DURATIONS = {
  success: [0.003, 0, 0.007],
  excluded: [0.02],
  failure: [0.04, 0],
  timeout: [0.1],
} as const;

const after = <T>(ms: number, settle: () => T): Promise<T> =>
  new Promise((resolve) => setTimeout(resolve, ms)).then(settle);

/** A function that settles only when its signal aborts, rejecting with the signal's reason. */
const untilAborted = ({ signal }: { signal: AbortSignal }): Promise<never> =>
  new Promise((_, reject) => {
    signal.addEventListener("abort", () => {
      reject(signal.reason as Error);
    });
  });

async function settled(promise: Promise<unknown>, ms = 0): Promise<unknown> {
  const outcome = promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  await vi.advanceTimersByTimeAsync(ms);
  return outcome;
}

/** Calls `breaker` (from {@link scriptedBreaker}) once per outcome and more; ends open. */
export async function runScript(breaker: CircuitBreaker): Promise<void> {
  expect(
    await settled(
      breaker.call(() => after(3, () => "slow ok")),
      3,
    ),
  ).toBeUndefined();
  expect(await settled(breaker.call(() => "ok"))).toBeUndefined();
  const typeError = await settled(
    breaker.call(() =>
      after(20, () => {
        throw new TypeError("excluded");
      }),
    ),
    20,
  );
  expect(typeError).toBeInstanceOf(TypeError);

  const caller = new AbortController();
  const aborted = breaker.execute(untilAborted, { signal: caller.signal });
  caller.abort(new Error("the client went away"));
  expect(await settled(aborted)).toEqual(new Error("the client went away"));

  const held = breaker.call(() => after(7, () => "held"));
  expect(await settled(breaker.call(() => "refused"))).toBeInstanceOf(ConcurrencyLimitError);
  expect(await settled(held, 7)).toBeUndefined();

  const failure = breaker.call(() =>
    after(40, () => {
      throw new Error("down");
    }),
  );
  expect(await settled(failure, 40)).toEqual(new Error("down"));
  expect(await settled(breaker.execute(untilAborted), 100)).toBeInstanceOf(CallTimeoutError);
  const trip = breaker.call(() => {
    throw new Error("down again");
  });
  expect(await settled(trip)).toBeInstanceOf(Error);
  expect(breaker.state).toBe("open");
  expect(await settled(breaker.call(() => "no"))).toBeInstanceOf(CircuitBreakerError);
  expect(await settled(breaker.call(() => "no"))).toBeInstanceOf(CircuitBreakerError);

  const { calls, successes, failures, timeouts, rejections, neutral, excluded } = breaker.stats;
  expect({ calls, successes, failures, timeouts, rejections, neutral, excluded }).toEqual({
    calls: 11,
    successes: SCRIPT_COUNTS.success,
    failures: SCRIPT_COUNTS.failure,
    timeouts: SCRIPT_COUNTS.timeout,
    rejections: SCRIPT_COUNTS.rejected,
    neutral: SCRIPT_COUNTS.neutral,
    excluded: SCRIPT_COUNTS.excluded,
  });
}
