import { afterAll, beforeAll } from "vitest";
import type { RedisClientLike } from "../../src/redis/index.js";
import { runStorageContract } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { Fixtures, initialStored, uniqueName, type Driver } from "./fixtures.js";

let server: RedisServer;
const fixtures = new Fixtures();
const clients = new Map<Driver, RedisClientLike>();

beforeAll(async () => {
  server = await RedisServer.start();
  clients.set("node-redis", await fixtures.client("node-redis", server));
  clients.set("ioredis", await fixtures.client("ioredis", server));
});

afterAll(async () => {
  await fixtures.closeAll();
  await server.stop();
});

for (const driver of ["node-redis", "ioredis"] as const) {
  runStorageContract(`CircuitRedisStorage over ${driver}`, async (initial, openedAt) => {
    const storage = await fixtures.storage(clients.get(driver) as RedisClientLike, {
      name: uniqueName("contract"),
    });
    if (initial !== undefined && initial !== "closed") {
      storage.restore(initialStored(initial, openedAt));
    }
    return storage;
  });
}
