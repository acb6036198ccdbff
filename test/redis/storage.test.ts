// CircuitRedisStorage's own surface: input checks, clients recognised, close(), resync,
// the shared window, announcements.
import { Redis, Cluster } from "ioredis";
import { Redis as Redis5, Cluster as Cluster5 } from "ioredis5";
import { createClient, createCluster } from "redis";
import { createClient as createClient5, createCluster as createCluster5 } from "redis5";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/index.js";
import { CircuitRedisStorage, type RedisClientLike } from "../../src/redis/index.js";
import { failure, manual } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { eventually, Fixtures, uniqueName, until, type Driver } from "./fixtures.js";

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

describe("CircuitRedisStorage input", () => {
  const client = createClient();

  it("refuses what is not a supported client, naming it", () => {
    for (const bad of [undefined, null, 42, "redis://x", {}, { sendCommand() {} }]) {
      expect(() => new CircuitRedisStorage(bad as never, { name: "x" })).toThrow(
        /^CircuitRedisStorage client must be a node-redis client or cluster/,
      );
    }
    expect(() => new CircuitRedisStorage({} as never, { name: "x" })).toThrow(/got an object$/);
    // ioredis-like without duplicate(); node-redis-like that is neither a client nor a cluster.
    for (const shape of [
      { call() {}, status: "ready" },
      { sendCommand() {}, duplicate() {} },
    ]) {
      expect(() => new CircuitRedisStorage(shape as never, { name: "x" })).toThrow(
        /client must be a node-redis client/,
      );
    }
  });

  it("names every kind of bad value", () => {
    const cases: [unknown, string][] = [
      [Symbol("s"), "Symbol(s)"],
      [10n, "10n"],
      [[1], "an array of length 1"],
      [new Map(), "an instance of Map"],
      [function named() {}, "function named"],
      [() => 1, "function anonymous"],
      [null, "null"],
      [Object.create(null), "an object"],
    ];
    for (const [value, shown] of cases) {
      expect(() => new CircuitRedisStorage(client, { name: value as never })).toThrow(
        `CircuitRedisStorage name must be a non-empty string, got ${shown}`,
      );
    }
    expect(
      () => new CircuitRedisStorage(client, { name: "x", onOutage: "x".repeat(50) as never }),
    ).toThrow(
      `CircuitRedisStorage onOutage must be a function, got ${JSON.stringify(`${"x".repeat(40)}…`)}`,
    );
  });

  it("refuses a missing or empty name, bad options and unknown ones", () => {
    expect(() => new CircuitRedisStorage(client, undefined as never)).toThrow(
      "CircuitRedisStorage options must be an object with a name, got undefined",
    );
    expect(() => new CircuitRedisStorage(client, {} as never)).toThrow(
      "CircuitRedisStorage name must be a non-empty string, got undefined",
    );
    expect(() => new CircuitRedisStorage(client, { name: "" })).toThrow(
      'CircuitRedisStorage name must be a non-empty string, got ""',
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", prefix: "" })).toThrow(
      'CircuitRedisStorage prefix must be a non-empty string, got ""',
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", nam: 1 } as never)).toThrow(
      'CircuitRedisStorage got an unknown option "nam"',
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", commandTimeout: 0 })).toThrow(
      RangeError,
    );
    expect(
      () => new CircuitRedisStorage(client, { name: "x", resyncInterval: "1" as never }),
    ).toThrow(
      'CircuitRedisStorage resyncInterval must be a finite number of milliseconds > 0, got "1" (string)',
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", leaseTimeout: Infinity })).toThrow(
      "CircuitRedisStorage leaseTimeout must be a finite number of milliseconds > 0 and <= 2147483647, got Infinity",
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", clock: {} as never })).toThrow(
      "CircuitRedisStorage clock must be an object with a now() method, got an object",
    );
    expect(() => new CircuitRedisStorage(client, { name: "x", onOutage: 1 as never })).toThrow(
      "CircuitRedisStorage onOutage must be a function, got 1",
    );
  });

  it("recognises node-redis 5 and 6 and ioredis 5 and 6, standalone and cluster", async () => {
    const made: RedisClientLike[] = [
      createClient(),
      createClient5(),
      createCluster({ rootNodes: [] }),
      createCluster5({ rootNodes: [] }),
      new Redis({ lazyConnect: true }),
      new Redis5({ lazyConnect: true }),
      new Cluster([], { lazyConnect: true }),
      new Cluster5([], { lazyConnect: true }),
    ];
    for (const each of made) {
      const storage = new CircuitRedisStorage(each, {
        name: uniqueName("shape"),
        commandTimeout: 50,
        onOutage: () => undefined,
      });
      // None is connected: the storage answers locally and says so once.
      expect(storage.state).toBe("closed");
      await storage.ready;
      await storage.close();
      const emitter = each as unknown as { listenerCount(event: string): number };
      expect(emitter.listenerCount("error") + emitter.listenerCount("message")).toBe(0);
    }
  });
});

describe.each(["node-redis", "ioredis"] as const)(
  "CircuitRedisStorage over %s",
  (driver: Driver) => {
    it("closes what it started, leaves the client open and without listeners, and is idempotent", async () => {
      const client = await fixtures.client(driver, server);
      const emitter = client as unknown as { eventNames(): (string | symbol)[] };
      const before = emitter.eventNames().length;
      const storage = new CircuitRedisStorage(client, { name: uniqueName("close") });
      await storage.ready;
      const subscribers = async () =>
        (await server.cli("CLIENT", "LIST")).split("\n").filter((line) => /sub=[1-9]/.test(line))
          .length;
      expect(await subscribers()).toBe(1);
      const closing = storage.close();
      expect(storage.close()).toBe(closing);
      await closing;
      await eventually(async () => (await subscribers()) === 0, 3_000, "the duplicate closing");
      expect(emitter.eventNames().length).toBe(before);
      // The user's client still works.
      expect(
        await (driver === "ioredis"
          ? (client as Redis).ping()
          : (client as ReturnType<typeof createClient>).ping()),
      ).toBe("PONG");
      // A closed storage still answers from its mirror, sending nothing.
      storage.recordFailure(failure(storage, 1));
      expect(storage.state).toBe("open");
    });

    it("shares one pub/sub connection among the storages of one client", async () => {
      const client = await fixtures.client(driver, server);
      const storages = await Promise.all(
        Array.from({ length: 5 }, () => fixtures.storage(client, { name: uniqueName("hub") })),
      );
      const list = await server.cli("CLIENT", "LIST");
      expect(list.split("\n").filter((line) => line.includes(" sub=5 "))).toHaveLength(1);
      await Promise.all(storages.map((storage) => storage.close()));
    });

    it("catches up with a change whose message was lost, at the next resync", async () => {
      const name = uniqueName("resync");
      const storage = await fixtures.storage(await fixtures.client(driver, server), {
        name,
        resyncInterval: 50,
      });
      let heard = 0;
      storage.subscribe(() => heard++);
      // Another process's opening, written without its message.
      await server.cli(
        "HSET",
        `aiobreaker:{${name}}:s`,
        "st",
        "open",
        "oa",
        String(Date.now()),
        "at",
        "1",
        "g",
        "9",
        "v",
        "99",
      );
      await until(() => storage.state === "open", 2_000, "the resync");
      expect([storage.openAttempts, heard > 0]).toEqual([1, true]);
    });

    it("announces another process's changes through subscribe", async () => {
      const name = uniqueName("announce");
      const a = await fixtures.storage(await fixtures.client(driver, server), { name });
      const b = await fixtures.storage(await fixtures.client(driver, server), { name });
      const heard: string[] = [];
      const end = b.subscribe(() => heard.push(b.state));
      a.setState("open", Date.now(), undefined, manual(a));
      await until(() => heard.includes("open"), 2_000, "the announcement");
      end();
      a.setState("closed", undefined, undefined, manual(a));
      await until(() => b.state === "closed");
      expect(heard).toEqual(["open"]);
      expect(() => b.subscribe(1 as never)).toThrow("subscribe expects a function, got 1");
    });

    it("judges a shared time window's rates on the whole fleet's calls", async () => {
      const name = uniqueName("window");
      const options = { name, resyncInterval: 50 };
      const a = await fixtures.storage(await fixtures.client(driver, server), options);
      const b = await fixtures.storage(await fixtures.client(driver, server), options);
      const window = { duration: 60_000, buckets: 6 };
      const rates = { failureRateThreshold: 50, minimumCalls: 4 };
      const onA = new CircuitBreaker({ name, storage: a, window, ...rates });
      const onB = new CircuitBreaker({ name, storage: b, window, ...rates });
      // a sees three successes; b one failure: 1 of 4 calls, below 50 %.
      for (let i = 0; i < 3; i++) await onA.call(() => "ok");
      await onB.call(() => Promise.reject(new Error("1"))).catch(() => undefined);
      await until(() => onB.metrics.calls === 4, 3_000, "the batched successes");
      expect(onB.state).toBe("closed");
      // One more failure at b: 2 of 5 calls, still below. A third: 3 of 6, 50 %: the fleet trips,
      // though b alone saw only failures since its first call and a saw none.
      await onB.call(() => Promise.reject(new Error("2"))).catch(() => undefined);
      expect(onB.state).toBe("closed");
      await onB.call(() => Promise.reject(new Error("3"))).catch(() => undefined);
      await until(() => onA.state === "open" && onB.state === "open", 3_000, "the fleet's trip");
      expect(await server.cli("HGET", `aiobreaker:{${name}}:s`, "at")).toBe("1");
    });
  },
);
