// aiobreaker/redis as a consumer sees it: structural client types, so a program with either
// driver (or neither, as here: no redis, no ioredis, no Node types) compiles against its .d.ts.
import { CircuitBreaker, CircuitBreakerGroup, type CircuitBreakerStorage } from "aiobreaker";
import {
  CircuitRedisStorage,
  type CircuitRedisStorageOptions,
  type NodeRedisClientLike,
  type RedisClientLike,
} from "aiobreaker/redis";
import { expectType, type Equal } from "./expect.js";

declare const client: NodeRedisClientLike;
const storage = new CircuitRedisStorage(client, {
  name: "payments",
  prefix: undefined,
  commandTimeout: 500,
  onOutage: (error) => {
    expectType<Equal<typeof error, unknown>>(true);
  },
});
export const ready: Promise<void> = storage.ready;
export const closed: Promise<void> = storage.close();
const asStorage: CircuitBreakerStorage = storage;
new CircuitBreaker({ name: "payments", storage: asStorage });
new CircuitBreakerGroup({
  name: "per-host",
  storage: (key) => new CircuitRedisStorage(client, { name: `per-host:${key}` }),
});
expectType<Equal<CircuitRedisStorageOptions["name"], string>>(true);
// @ts-expect-error: name is required
new CircuitRedisStorage(client, {});
// @ts-expect-error: not a client
new CircuitRedisStorage("redis://127.0.0.1:6379", { name: "x" });
export const accepted: RedisClientLike = client;
