// A faulty Redis never reaches a caller: killed, restarted empty, stalled, flushed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/index.js";
import type { CircuitRedisStorage } from "../../src/redis/index.js";
import { acquire, manual } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { eventually, Fixtures, uniqueName, until, type Driver } from "./fixtures.js";

let server: RedisServer;
const fixtures = new Fixtures();

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  server.resume();
  await fixtures.closeAll();
});

afterAll(async () => {
  await server.stop();
});

const fast = { commandTimeout: 200, resyncInterval: 100 };

/** Runs `count` calls through `breaker` (a success or a failure each) and counts outcomes. */
async function traffic(breaker: CircuitBreaker, count: number, fail = false): Promise<number> {
  let settled = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      breaker
        .call(() => (fail ? Promise.reject(new Error("dependency down")) : Promise.resolve("ok")))
        .then(
          () => settled++,
          () => settled++,
        ),
    ),
  );
  return settled;
}

for (const driver of ["node-redis", "ioredis"] as const) {
  describe(`faults over ${driver}`, () => {
    it("goes on as a local breaker while Redis is dead, and converges after an empty restart", async () => {
      const name = uniqueName("kill");
      const events: string[] = [];
      const client = await fixtures.client(driver, server);
      const storage = await fixtures.storage(client, { name, ...fast }, events);
      const breaker = new CircuitBreaker({ name, storage, failMax: 3, resetTimeout: 60_000 });
      expect(await traffic(breaker, 20)).toBe(20);
      await server.kill();
      // Calls settle with the server gone (nothing waits for it), and the breaker still trips
      // on this process's own failures.
      expect(await traffic(breaker, 20)).toBe(20);
      expect(await traffic(breaker, 3, true)).toBe(3);
      expect(breaker.state).toBe("open");
      await until(() => events.length === 1, 3_000, "the outage report");
      expect(events[0]).toMatch(/^outage: /);
      // More failing commands meanwhile: still one report.
      expect(await traffic(breaker, 10, true)).toBe(10);
      await server.restart();
      await until(() => events.includes("recovery"), 10_000, "the recovery report");
      expect(events).toHaveLength(2);
      // The opening made during the outage was written back: a process joining now sees it.
      await eventually(async () => (await stateInRedis(name)) === "open", 5_000, "the write-back");
      const joiner = await fixtures.storage(await fixtures.client(driver, server), { name });
      expect([joiner.state, joiner.openAttempts]).toEqual(["open", 1]);
    });

    it("never makes a caller wait on a stalled server, and reports the stall once", async () => {
      const name = uniqueName("stall");
      const events: string[] = [];
      const client = await fixtures.client(driver, server);
      const storage = await fixtures.storage(client, { name, ...fast }, events);
      const breaker = new CircuitBreaker({ name, storage, failMax: 5 });
      server.pause();
      // An operator's change while the server hangs: applied here at once, merged later.
      breaker.disable();
      expect(breaker.mode).toBe("disabled");
      breaker.enable();
      // Every call settles while the server answers nothing at all.
      expect(await traffic(breaker, 50)).toBe(50);
      expect(await traffic(breaker, 5, true)).toBe(5);
      expect(breaker.state).toBe("open");
      await until(() => events.length === 1, 3_000, "the outage report");
      server.resume();
      await until(() => events.includes("recovery"), 5_000, "the recovery report");
      expect(events).toHaveLength(2);
      await eventually(async () => (await stateInRedis(name)) === "open", 5_000, "the write-back");
    });

    it("writes the fleet's state back after a FLUSHALL under traffic", async () => {
      const name = uniqueName("flush");
      const a = await fixtures.storage(await fixtures.client(driver, server), { name, ...fast });
      const breaker = new CircuitBreaker({ name, storage: a, failMax: 2, resetTimeout: 60_000 });
      const running = traffic(breaker, 200);
      await server.cli("FLUSHALL");
      expect(await running).toBe(200);
      await traffic(breaker, 2, true);
      await until(() => breaker.state === "open");
      await server.cli("FLUSHALL");
      await eventually(async () => (await stateInRedis(name)) === "open", 5_000, "the write-back");
      const b = await fixtures.storage(await fixtures.client(driver, server), { name });
      expect([b.state, b.openAttempts]).toEqual(["open", 1]);
    });

    it("frees the trial lease of a process that died holding it in half-open", async () => {
      const name = uniqueName("holder");
      const holderClient = await fixtures.client(driver, server);
      const holder: CircuitRedisStorage = await fixtures.storage(holderClient, {
        name,
        leaseTimeout: 300,
        resyncInterval: 60_000,
      });
      const survivor = await fixtures.storage(await fixtures.client(driver, server), { name });
      holder.setState("half-open", undefined, undefined, manual(holder));
      await until(() => survivor.state === "half-open");
      expect(await acquire(holder, holder.generation, 1)).toBe(true);
      await until(() => survivor.trialCalls === 1);
      expect(await acquire(survivor, survivor.generation, 1)).toBe(false);
      // The holder's process dies: its connection drops, nothing is released or renewed.
      await closeClient(driver, holderClient);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await acquire(survivor, survivor.generation, 1)).toBe(true);
    });
  });
}

async function stateInRedis(name: string): Promise<string> {
  return server.cli("HGET", `aiobreaker:{${name}}:s`, "st");
}

async function closeClient(driver: Driver, client: unknown): Promise<void> {
  if (driver === "node-redis") (client as { destroy(): void }).destroy();
  else (client as { disconnect(): void }).disconnect();
  await Promise.resolve();
}
