// A 3-master Redis Cluster: each breaker's keys in one slot, breakers spread over the nodes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/index.js";
import type { CircuitRedisStorage } from "../../src/redis/index.js";
import { acquire, manual } from "../storage-contract.js";
import { RedisCluster } from "../support/redis-server.js";
import { Fixtures, uniqueName, until } from "./fixtures.js";

let cluster: RedisCluster;
const fixtures = new Fixtures();

beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);

afterEach(async () => {
  await fixtures.closeAll();
});

afterAll(async () => {
  await cluster.stop();
});

async function slot(key: string): Promise<number> {
  return Number(await cluster.nodes[0]!.cli("CLUSTER", "KEYSLOT", key));
}

for (const driver of ["node-redis", "ioredis"] as const) {
  describe(`a cluster over ${driver}`, () => {
    it("shares one breaker across processes, its keys in one slot", async () => {
      const name = uniqueName("cluster{odd}");
      const a = await fixtures.storage(await fixtures.clusterClient(driver, cluster), { name });
      const b = await fixtures.storage(await fixtures.clusterClient(driver, cluster), { name });
      const breaker = new CircuitBreaker({ name, storage: a, failMax: 2, resetTimeout: 60_000 });
      for (let i = 0; i < 2; i++) {
        await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
      }
      expect(breaker.state).toBe("open");
      await until(() => b.state === "open", 5_000, "b hears the trip");
      b.setState("half-open", undefined, undefined, manual(b));
      await until(() => a.state === "half-open");
      expect(await acquire(a, a.generation, 1)).toBe(true);
      expect(await acquire(b, b.generation, 1)).toBe(false);
      const escaped = name.replace("{", "%7B").replace("}", "%7D");
      const slots = await Promise.all(
        ["s", "l", "w", "c"].map((suffix) => slot(`aiobreaker:{${escaped}}:${suffix}`)),
      );
      expect(new Set(slots).size).toBe(1);
    });

    it("spreads different breakers over the slots and nodes", async () => {
      const client = await fixtures.clusterClient(driver, cluster);
      const storages: CircuitRedisStorage[] = [];
      for (let i = 0; i < 12; i++) {
        storages.push(await fixtures.storage(client, { name: uniqueName(`spread-${String(i)}`) }));
      }
      for (const storage of storages) storage.setState("open", Date.now(), 1_000, manual(storage));
      // Every node holds some breaker's state.
      await until(() => storages.every((storage) => storage.openAttempts === 1));
      const counts = await Promise.all(
        cluster.nodes.map(async (node) => Number(await node.cli("DBSIZE"))),
      );
      expect(counts.filter((count) => count > 0).length).toBeGreaterThan(1);
      const slots = new Set(
        await Promise.all(storages.map((storage) => slot(`aiobreaker:{${storage.name}}:s`))),
      );
      // 12 names over 16 384 slots: a collision or two at most, in any run.
      expect(slots.size).toBeGreaterThanOrEqual(10);
    });
  });
}
