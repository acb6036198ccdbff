// Clients and storages for the Redis tests, all closed by `closeAll`.
import { Redis, Cluster } from "ioredis";
import { createClient, createCluster } from "redis";
import type { CircuitBreakerState, StoredCircuitState } from "../../src/index.js";
import {
  CircuitRedisStorage,
  type CircuitRedisStorageOptions,
  type RedisClientLike,
} from "../../src/redis/index.js";
import type { RedisCluster } from "../support/redis-server.js";

export type Driver = "node-redis" | "ioredis";

let unique = 0;

/** A breaker name no other test uses. */
export function uniqueName(label = "breaker"): string {
  return `${label}-${String(process.pid)}-${String(++unique)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** What a test opened, closed in reverse order by `closeAll`. */
export class Fixtures {
  readonly #closers: (() => Promise<void> | void)[] = [];

  /** A connected client of `driver` to a standalone server (or a proxy in front of one). */
  async client(driver: Driver, server: { readonly port: number }): Promise<RedisClientLike> {
    if (driver === "node-redis") {
      const client = createClient({
        url: `redis://127.0.0.1:${String(server.port)}`,
        socket: { reconnectStrategy: () => 50, connectTimeout: 500 },
      });
      client.on("error", () => undefined);
      await client.connect();
      this.#closers.push(() => {
        client.destroy();
      });
      return client;
    }
    const client = new Redis({
      host: "127.0.0.1",
      port: server.port,
      lazyConnect: true,
      retryStrategy: () => 50,
      maxRetriesPerRequest: 1,
    });
    client.on("error", () => undefined);
    await client.connect();
    this.#closers.push(() => {
      client.disconnect();
    });
    return client;
  }

  /** A connected cluster client of `driver`. */
  async clusterClient(driver: Driver, cluster: RedisCluster): Promise<RedisClientLike> {
    if (driver === "node-redis") {
      const client = createCluster({ rootNodes: cluster.rootNodes });
      client.on("error", () => undefined);
      await client.connect();
      this.#closers.push(() => {
        client.destroy();
      });
      return client;
    }
    const client = new Cluster(cluster.startupNodes, { lazyConnect: true });
    client.on("error", () => undefined);
    await client.connect();
    this.#closers.push(() => {
      client.disconnect();
    });
    return client;
  }

  /** A storage, ready, closed by `closeAll`; outages are recorded in `events` when given. */
  async storage(
    client: RedisClientLike,
    options: Partial<CircuitRedisStorageOptions> & { name: string },
    events?: string[],
  ): Promise<CircuitRedisStorage> {
    const storage = new CircuitRedisStorage(client, {
      onOutage: (error) =>
        events?.push(`outage: ${error instanceof Error ? error.message : String(error)}`),
      onRecovery: () => events?.push("recovery"),
      ...options,
    });
    this.#closers.push(() => storage.close());
    await storage.ready;
    return storage;
  }

  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }
}

/** A storage's state as plain data, to compare storages. */
export function view(storage: CircuitRedisStorage): StoredCircuitState {
  return {
    state: storage.state,
    mode: storage.mode,
    failCounter: storage.failCounter,
    successCounter: storage.successCounter,
    openedAt: storage.openedAt,
    openDuration: storage.openDuration,
    openAttempts: storage.openAttempts,
  };
}

/** Waits (polling every 5 ms, at most `timeout` ms) until `check` holds; throws otherwise. */
export async function until(
  check: () => boolean,
  timeout = 5_000,
  what = "the condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The state a contract-suite storage starts in. */
export function initialStored(initial: CircuitBreakerState, openedAt?: number): StoredCircuitState {
  return {
    state: initial,
    failCounter: 0,
    successCounter: 0,
    openedAt: initial === "closed" ? undefined : openedAt,
    openDuration: undefined,
    openAttempts: initial === "closed" ? 0 : 1,
  };
}

/** Waits (polling every 20 ms, at most `timeout` ms) until the async `check` holds. */
export async function eventually(
  check: () => Promise<boolean>,
  timeout = 5_000,
  what = "the condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
