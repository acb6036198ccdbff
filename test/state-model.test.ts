import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerError, type CircuitBreakerState } from "../src/index.js";
import { Model } from "./support/reference-model.js";

type Command =
  | { kind: "start" }
  | { kind: "settle"; index: number; ok: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "toRetry" }
  | { kind: "open" | "close" | "halfOpen" };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ kind: "start" as const }),
  fc.record({ kind: fc.constant("settle" as const), index: fc.nat(20), ok: fc.boolean() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.nat(60) }),
  fc.constant({ kind: "toRetry" as const }),
  fc.constantFrom(
    { kind: "open" as const },
    { kind: "close" as const },
    { kind: "halfOpen" as const },
  ),
);

interface Pending {
  admitted: { generation: number; state: CircuitBreakerState } | undefined;
  promise: Promise<unknown>;
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("the breaker against a reference model", () => {
  it("agrees on every observable after every command", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(command, { maxLength: 60 }),
        async (failMax, resetTimeout, successThreshold, halfOpenMaxCalls, commands) => {
          let now = 0;
          const model = new Model(failMax, resetTimeout, successThreshold, halfOpenMaxCalls);
          const breaker = new CircuitBreaker({
            failMax,
            resetTimeout,
            successThreshold,
            halfOpenMaxCalls,
            clock: { now: () => now },
          });
          const pending: Pending[] = [];
          for (const step of commands) {
            switch (step.kind) {
              case "start": {
                const admitted = model.admit(now);
                let resolve!: (value: string) => void;
                let reject!: (error: Error) => void;
                const inner = new Promise<string>((res, rej) => {
                  resolve = res;
                  reject = rej;
                });
                const promise = breaker
                  .call(() => inner)
                  .then(
                    (value) => ({ value }),
                    (error: unknown) => ({ error }),
                  );
                await flush();
                const result = await Promise.race([promise, Promise.resolve("pending")]);
                if (admitted === undefined) {
                  expect(result).toEqual({ error: expect.any(CircuitBreakerError) as unknown });
                } else {
                  expect(result).toBe("pending");
                  pending.push({ admitted, promise, resolve, reject });
                }
                break;
              }
              case "settle": {
                const call = pending.splice(step.index % Math.max(1, pending.length), 1)[0];
                if (call === undefined) break;
                const own = new Error("own");
                if (step.ok) call.resolve("value");
                else call.reject(own);
                const tripped = model.settle(call.admitted!, step.ok, now);
                const result = (await call.promise) as { value?: unknown; error?: unknown };
                if (step.ok) expect(result).toEqual({ value: "value" });
                else if (tripped) {
                  expect(result.error).toBeInstanceOf(CircuitBreakerError);
                  expect((result.error as Error).cause).toBe(own);
                } else expect(result.error).toBe(own);
                break;
              }
              case "advance":
                now += step.ms;
                break;
              case "toRetry":
                if (model.openedAt !== undefined)
                  now = Math.max(now, model.openedAt + resetTimeout);
                break;
              case "open":
                breaker.open();
                model.move("open", now);
                break;
              case "close":
                breaker.close();
                if (model.state === "closed") model.failCounter = 0;
                else model.move("closed", now);
                break;
              case "halfOpen":
                breaker.halfOpen();
                if (model.state !== "half-open") model.move("half-open", now);
                break;
            }
            expect({
              state: breaker.state,
              failCounter: breaker.failCounter,
              successCounter: breaker.successCounter,
              openedAt: breaker.openedAt,
              retryAt: breaker.retryAt,
            }).toEqual({
              state: model.state,
              failCounter: model.failCounter,
              successCounter: model.state === "half-open" ? model.successCounter : 0,
              openedAt: model.openedAt,
              retryAt: model.state === "open" ? (model.openedAt ?? now) + resetTimeout : undefined,
            });
          }
          for (const call of pending) call.resolve("drain");
        },
      ),
      { numRuns: 300 },
    );
  });
});
