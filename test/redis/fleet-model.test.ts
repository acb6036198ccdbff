/**
 * A property test of the fleet: three breakers, each over a storage with a client of its own
 * (node-redis, ioredis, node-redis), share one breaker through one Redis. Random operations land
 * on any of them (calls started and settled, open, close, halfOpen); after each one, once the news
 * has travelled, every breaker must agree with the reference model of a single breaker: state,
 * consecutive failures, trial successes, trial leases in use (in every mirror and in Redis), and
 * each caller's outcome (admitted or refused, its own error or the tripping CircuitBreakerError).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerError, type CircuitBreakerState } from "../../src/index.js";
import type { CircuitRedisStorage } from "../../src/redis/index.js";
import { RedisServer } from "../support/redis-server.js";
import { Model } from "../support/reference-model.js";
import { Fixtures, uniqueName, type Driver } from "./fixtures.js";

let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  await server.stop();
});

const drivers: readonly Driver[] = ["node-redis", "ioredis", "node-redis"];
/** Longer than any run: an opening ends only by an operator's halfOpen, never by the clock. */
const resetTimeout = 600_000;

type Command =
  | { kind: "start"; on: number }
  | { kind: "settle"; index: number; ok: boolean }
  | { kind: "open" | "close" | "halfOpen"; on: number };

const on = fc.nat(drivers.length - 1);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("start" as const), on }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("settle" as const),
      index: fc.nat(20),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("open" as const, "close" as const, "halfOpen" as const),
      on,
    }),
  },
);

interface Running {
  admitted: { generation: number; state: CircuitBreakerState };
  outcome: Promise<{ value?: unknown; error?: unknown }>;
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

/** Polls every 2 ms until `check` holds, or `timeout` ms passed; returns whether it held. */
async function settles(check: () => boolean, timeout = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

describe("a fleet of three breakers over one Redis against the model of one breaker", () => {
  it("agrees with the model after every operation, on every breaker and in Redis", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(command, { minLength: 5, maxLength: 30 }),
        async (failMax, successThreshold, halfOpenMaxCalls, commands) => {
          const fixtures = new Fixtures();
          const name = uniqueName("model");
          const storages: CircuitRedisStorage[] = [];
          for (const driver of drivers)
            storages.push(await fixtures.storage(await fixtures.client(driver, server), { name }));
          const breakers = storages.map(
            (storage) =>
              new CircuitBreaker({
                name,
                storage,
                failMax,
                successThreshold,
                halfOpenMaxCalls,
                resetTimeout,
              }),
          );
          const model = new Model(failMax, resetTimeout, successThreshold, halfOpenMaxCalls);
          const running: Running[] = [];
          const observed = async () => ({
            breakers: breakers.map((breaker, i) => ({
              state: breaker.state,
              failCounter: breaker.failCounter,
              successCounter: breaker.successCounter,
              trialCalls: storages[i]?.trialCalls,
            })),
            leasesInRedis: Number(await server.cli("ZCARD", `aiobreaker:{${name}}:l`)),
          });
          const expected = () => {
            const one = {
              state: model.state,
              failCounter: model.failCounter,
              successCounter: model.state === "half-open" ? model.successCounter : 0,
              trialCalls: model.trials,
            };
            return { breakers: breakers.map(() => one), leasesInRedis: model.trials };
          };
          try {
            for (const step of commands) {
              switch (step.kind) {
                case "start": {
                  // Time stands still for the model: the opening lasts longer than the run.
                  const admitted = model.admit(0);
                  let invoked = false;
                  let resolve!: (value: string) => void;
                  let reject!: (error: Error) => void;
                  const inner = new Promise<string>((res, rej) => {
                    resolve = res;
                    reject = rej;
                  });
                  let settled = false;
                  const outcome: Running["outcome"] = (breakers[step.on] as CircuitBreaker)
                    .call(() => {
                      invoked = true;
                      return inner;
                    })
                    .then(
                      (value) => ({ value }),
                      (error: unknown) => ({ error }),
                    )
                    .finally(() => {
                      settled = true;
                    });
                  // A trial lease may be granted by Redis a round trip later.
                  expect(await settles(() => invoked || settled)).toBe(true);
                  if (admitted === undefined) {
                    expect(invoked).toBe(false);
                    expect((await outcome).error).toBeInstanceOf(CircuitBreakerError);
                  } else {
                    expect(invoked).toBe(true);
                    running.push({ admitted, outcome, resolve, reject });
                  }
                  break;
                }
                case "settle": {
                  const call = running.splice(step.index % Math.max(1, running.length), 1)[0];
                  if (call === undefined) break;
                  const own = new Error("own");
                  if (step.ok) call.resolve("value");
                  else call.reject(own);
                  const tripped = model.settle(call.admitted, step.ok, 0);
                  const result = await call.outcome;
                  if (step.ok) expect(result).toEqual({ value: "value" });
                  else if (tripped) {
                    expect(result.error).toBeInstanceOf(CircuitBreakerError);
                    expect((result.error as Error).cause).toBe(own);
                  } else expect(result.error).toBe(own);
                  break;
                }
                case "open":
                  breakers[step.on]?.open();
                  model.move("open", 0);
                  break;
                case "close":
                  breakers[step.on]?.close();
                  if (model.state === "closed") model.failCounter = 0;
                  else model.move("closed", 0);
                  break;
                case "halfOpen":
                  breakers[step.on]?.halfOpen();
                  if (model.state !== "half-open") model.move("half-open", 0);
                  break;
              }
              let last = await observed();
              const want = expected();
              const deadline = Date.now() + 3_000;
              while (JSON.stringify(last) !== JSON.stringify(want) && Date.now() < deadline) {
                await new Promise((resolve) => setTimeout(resolve, 2));
                last = await observed();
              }
              expect(last, `after ${JSON.stringify(step)}`).toEqual(want);
              // Every breaker dates the opening from the Redis server's clock, each through its
              // own estimate of the offset to the local clock: equal within a round trip or so.
              const openedAt = breakers.map((breaker) => breaker.openedAt);
              if (model.openedAt !== undefined) {
                const times = openedAt as number[];
                expect(times.every((time) => typeof time === "number")).toBe(true);
                expect(Math.max(...times) - Math.min(...times)).toBeLessThan(50);
              } else expect(openedAt).toEqual(breakers.map(() => undefined));
            }
          } finally {
            for (const call of running) call.resolve("drain");
            await Promise.all(running.map((call) => call.outcome));
            await fixtures.closeAll();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});
