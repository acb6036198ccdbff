// Several storages, each with its own client, over one Redis: they behave as one breaker.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerError } from "../../src/index.js";
import type { CircuitRedisStorage } from "../../src/redis/index.js";
import { acquire, failure, manual } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { Fixtures, uniqueName, until, type Driver } from "./fixtures.js";

let server: RedisServer;
const fixtures = new Fixtures();

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  await fixtures.closeAll();
});

afterAll(async () => {
  await server.stop();
});

/** `count` storages of one breaker, each over a client of its own (drivers alternate). */
async function fleet(
  count: number,
  drivers: readonly Driver[],
  options: { resyncInterval?: number; leaseTimeout?: number } = {},
): Promise<{ name: string; storages: CircuitRedisStorage[] }> {
  const name = uniqueName("fleet");
  const storages: CircuitRedisStorage[] = [];
  for (let i = 0; i < count; i++) {
    const client = await fixtures.client(drivers[i % drivers.length] as Driver, server);
    storages.push(await fixtures.storage(client, { name, ...options }));
  }
  return { name, storages };
}

async function hget(name: string, field: string): Promise<string> {
  return server.cli("HGET", `aiobreaker:{${name}}:s`, field);
}

const mixes: readonly (readonly Driver[])[] = [
  ["node-redis"],
  ["ioredis"],
  ["node-redis", "ioredis"],
];

for (const drivers of mixes) {
  describe(`a fleet over ${drivers.join(" and ")}`, () => {
    it("trips exactly once when every process fails at the same moment", async () => {
      const { name, storages } = await fleet(3, drivers);
      const breakers = storages.map(
        (storage) => new CircuitBreaker({ name, storage, failMax: 3, resetTimeout: 60_000 }),
      );
      const fail = (breaker: CircuitBreaker) =>
        breaker.call(() => Promise.reject(new Error("down"))).catch((error: unknown) => error);
      // Each process fails twice before hearing of the others: 6 failures, one opening.
      await Promise.all(breakers.flatMap((breaker) => [fail(breaker), fail(breaker)]));
      await until(() => breakers.every((breaker) => breaker.state === "open"), 5_000, "all open");
      expect(await hget(name, "at")).toBe("1");
      expect(await hget(name, "st")).toBe("open");
      await until(() => storages.every((storage) => storage.openAttempts === 1));
      // Every process reports the same opening on its own clock (same host: same instant).
      const openedAt = storages.map((storage) => storage.openedAt as number);
      expect(Math.max(...openedAt) - Math.min(...openedAt)).toBeLessThan(1_000);
      await expect(breakers[2]!.call(() => "refused")).rejects.toBeInstanceOf(CircuitBreakerError);
    });

    it("counts consecutive failures fleet-wide and resets them on a success anywhere", async () => {
      const { storages } = await fleet(2, drivers);
      const [a, b] = storages as [CircuitRedisStorage, CircuitRedisStorage];
      a.recordFailure(failure(a, 3));
      await until(() => b.failCounter === 1, 2_000, "b hears the failure");
      b.recordFailure(failure(b, 3));
      await until(() => a.failCounter === 2, 2_000, "a hears the second failure");
      a.resetFailCounter();
      await until(() => b.failCounter === 0, 2_000, "b hears the reset");
      b.recordFailure(failure(b, 3));
      b.recordFailure(failure(b, 3));
      expect(b.state).toBe("closed");
      await until(() => a.failCounter === 2);
      expect(a.recordFailure(failure(a, 3)).tripped).toBe(true);
      await until(() => b.state === "open", 2_000, "b hears the trip");
    });

    it("grants exactly halfOpenMaxCalls trial leases across the fleet", async () => {
      const { storages } = await fleet(3, drivers);
      const first = storages[0] as CircuitRedisStorage;
      first.setState("half-open", undefined, undefined, manual(first));
      await until(() => storages.every((storage) => storage.state === "half-open"));
      const answers = await Promise.all(
        storages.map(async (storage) => [
          await acquire(storage, storage.generation, 2),
          await acquire(storage, storage.generation, 2),
        ]),
      );
      expect(answers.flat().filter(Boolean)).toHaveLength(2);
      // A lease given back is taken by another process.
      const holderIndex = answers.findIndex((granted) => granted.includes(true));
      const holder = storages[holderIndex] as CircuitRedisStorage;
      holder.releaseTrial(holder.generation);
      const other = storages.find((_storage, i) => i !== holderIndex) as CircuitRedisStorage;
      await until(() => other.trialCalls < 2, 2_000, "the freed lease is heard");
      expect(await acquire(other, other.generation, 2)).toBe(true);
    });

    it("takes back the lease of a holder that stopped renewing it", async () => {
      const { storages } = await fleet(2, drivers, { resyncInterval: 60_000 });
      const [a, b] = storages as [CircuitRedisStorage, CircuitRedisStorage];
      a.setState("half-open", undefined, undefined, manual(a));
      await until(() => b.state === "half-open");
      expect(await acquire(a, a.generation, 1, 300)).toBe(true);
      await until(() => b.trialCalls === 1, 2_000, "b hears the lease");
      expect(await acquire(b, b.generation, 1, 300)).toBe(false);
      // a never renews (no resync for a minute) nor releases: the lease expires in Redis.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await acquire(b, b.generation, 1, 300)).toBe(true);
    });

    it("counts successThreshold over the fleet's trials", async () => {
      const { storages } = await fleet(2, drivers);
      const [a, b] = storages as [CircuitRedisStorage, CircuitRedisStorage];
      a.setState("half-open", undefined, undefined, manual(a));
      await until(() => b.state === "half-open");
      expect(await acquire(a, a.generation, 2)).toBe(true);
      expect(await acquire(b, b.generation, 2)).toBe(true);
      expect(a.recordTrialSuccess(a.generation, 2)).toEqual({ successCounter: 1, closed: false });
      await until(() => b.successCounter === 1, 2_000, "b hears the success");
      expect(b.recordTrialSuccess(b.generation, 2)).toEqual({ successCounter: 2, closed: true });
      await until(() => a.state === "closed", 2_000, "a hears the closing");
      expect(await hget(b.name, "st")).toBe("closed");
    });

    it("applies manual changes and modes everywhere, the last operator winning", async () => {
      const { storages } = await fleet(3, drivers);
      const [a, b, c] = storages as [CircuitRedisStorage, CircuitRedisStorage, CircuitRedisStorage];
      a.setState("open", Date.now(), 5_000, manual(a));
      await until(() => b.state === "open" && c.state === "open");
      expect([b.openDuration, c.openAttempts]).toEqual([5_000, 1]);
      // b's operator closes from a view that may be stale: it applies.
      b.setState("closed", undefined, undefined, { cause: "manual", generation: 0 });
      await until(() => a.state === "closed" && c.state === "closed");
      c.setMode("forced-open");
      await until(() => a.mode === "forced-open" && b.mode === "forced-open");
      a.setMode("enabled");
      await until(() => b.mode === "enabled" && c.mode === "enabled");
    });

    it("settles racing automatic changes by generation: one retry wins", async () => {
      const { storages } = await fleet(3, drivers);
      const first = storages[0] as CircuitRedisStorage;
      first.setState("open", Date.now(), 0, manual(first));
      await until(() => storages.every((storage) => storage.state === "open"));
      for (const storage of storages) {
        expect(
          storage.setState("half-open", undefined, undefined, {
            cause: "retry",
            generation: storage.generation,
          }),
        ).toBe(true);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The manual opening made generation 1; of three retries decided in it, one applied.
      expect(await hget(first.name, "g")).toBe("2");
      expect(storages.map((storage) => storage.state)).toEqual([
        "half-open",
        "half-open",
        "half-open",
      ]);
    });
  });
}
