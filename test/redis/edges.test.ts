// Corners of CircuitRedisStorage: default reporting, odd messages, script cache loss, unclaimed
// and late lease grants, the shared window's own rules, key naming.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "redis";
import { CircuitRedisStorage } from "../../src/redis/index.js";
import { withTimeout } from "../../src/redis/command-timeout.js";
import { parseReply } from "../../src/redis/fleet-state.js";
import { escapeName, unescapeName, breakerKeys } from "../../src/redis/keys.js";
import { acquire, failure, manual } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { eventually, Fixtures, uniqueName, until } from "./fixtures.js";

let server: RedisServer;
const fixtures = new Fixtures();

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fixtures.closeAll();
});

afterAll(async () => {
  await server.stop();
});

describe("key naming", () => {
  it("escapes braces and percent signs so the hash tag is exactly the name", () => {
    for (const name of ["plain", "a{b}c", "%7B", "}{", "100%"]) {
      expect(unescapeName(escapeName(name))).toBe(name);
      expect(escapeName(name)).not.toMatch(/[{}]/);
    }
    expect(breakerKeys("p", "a{b}")).toEqual({
      keys: ["p:{a%7Bb%7D}:s", "p:{a%7Bb%7D}:l", "p:{a%7Bb%7D}:w"],
      channel: "p:{a%7Bb%7D}:c",
    });
  });
});

describe("replies and waits", () => {
  it("refuses a reply it cannot read, quoting it", () => {
    expect(() => parseReply("nonsense")).toThrow('unexpected reply from Redis: "nonsense"');
    expect(parseReply(Buffer.from("missing,12")).serverTime).toBe(12);
  });

  it("turns a rejection that is not an Error into one", async () => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    // Some drivers' callbacks reject with plain values; the storage still reports an Error.
    const plain = new Promise<never>((_, reject) => {
      (reject as (reason: unknown) => void)("plain");
    });
    await expect(withTimeout(plain, 1_000, "x", timers)).rejects.toThrow("plain");
    expect(timers.size).toBe(0);
  });
});

describe("CircuitRedisStorage corners", () => {
  it("reports an outage and a recovery on console.error by default, once each", async () => {
    const errors: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    const client = createClient({ url: server.url });
    const storage = new CircuitRedisStorage(client, {
      name: uniqueName("default-report"),
      commandTimeout: 100,
      resyncInterval: 20,
    });
    await storage.ready;
    await client.connect();
    await until(() => errors.length === 2, 3_000, "both reports");
    expect(String(errors[0]![0])).toMatch(/Redis unreachable, going on as a local breaker/);
    expect(String(errors[1]![0])).toMatch(/Redis reachable again/);
    await storage.close();
    client.destroy();
  });

  it("sends a callback's own throw to console.error", async () => {
    const errors: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    const client = createClient({ url: server.url });
    const storage = new CircuitRedisStorage(client, {
      name: uniqueName("throwing-report"),
      commandTimeout: 50,
      onOutage: () => {
        throw new Error("callback broke");
      },
    });
    await storage.ready;
    await storage.close();
    expect(errors).toHaveLength(1);
    expect((errors[0]![1] as Error).message).toBe("callback broke");
  });

  it("treats a malformed message on its channel as an outage, and recovers at the next resync", async () => {
    const name = uniqueName("garbage");
    const events: string[] = [];
    const storage = await fixtures.storage(
      await fixtures.client("node-redis", server),
      { name, resyncInterval: 30 },
      events,
    );
    await server.cli("PUBLISH", breakerKeys("aiobreaker", name).channel, "not,a,state");
    await until(() => events.length >= 2, 3_000, "outage and recovery");
    expect(events[0]).toMatch(/^outage: unexpected state from Redis/);
    expect(events[1]).toBe("recovery");
    await server.cli(
      "PUBLISH",
      breakerKeys("aiobreaker", name).channel,
      "1,1,,sideways,enabled,0,0,,,0,0,0,0",
    );
    await until(() => events.length >= 3, 3_000, "a second outage");
    expect(events[2]).toMatch(/^outage: unexpected state from Redis/);
    expect(storage.state).toBe("closed");
  });

  it("runs its scripts again after the server lost them (SCRIPT FLUSH)", async () => {
    const storage = await fixtures.storage(await fixtures.client("ioredis", server), {
      name: uniqueName("flush-scripts"),
    });
    storage.recordFailure(failure(storage));
    await eventually(async () => (await server.cli("HGET", fcKey(storage), "fc")) === "1");
    await server.cli("SCRIPT", "FLUSH");
    storage.recordFailure(failure(storage));
    await eventually(async () => (await server.cli("HGET", fcKey(storage), "fc")) === "2");
  });

  it("gives back a grant no caller came for, and a grant that arrives after a new generation", async () => {
    const name = uniqueName("grants");
    const storage = await fixtures.storage(await fixtures.client("node-redis", server), {
      name,
      commandTimeout: 100,
      resyncInterval: 30,
    });
    storage.setState("open", Date.now(), 0, manual(storage));
    // A retry asks for its lease with the move; nobody takes it: given back after a while.
    storage.setState("half-open", undefined, undefined, {
      cause: "retry",
      generation: storage.generation,
    });
    await until(() => storage.trialCalls === 1, 2_000, "the grant");
    await until(() => storage.trialCalls === 0, 2_000, "the unclaimed grant given back");
    // A request whose generation moves on before the answer: its grant is given back too.
    expect(storage.acquireTrial(storage.generation, 1, undefined)).toBe("pending");
    storage.setState("half-open", undefined, undefined, manual(storage));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await acquire(storage, storage.generation, 1)).toBe(true);
    // Held across resyncs, which renew it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(storage.trialCalls).toBe(1);
    // Closed: Redis denies a trial, with no lease to wait for.
    storage.setState("closed", undefined, undefined, manual(storage));
    expect(await acquire(storage, storage.generation, 1)).toBe(false);
  });

  it("shares one subscription among storages of the same breaker on one client", async () => {
    const name = uniqueName("same");
    const client = await fixtures.client("ioredis", server);
    const a = await fixtures.storage(client, { name });
    const b = await fixtures.storage(client, { name });
    const c = await fixtures.storage(await fixtures.client("ioredis", server), { name });
    await a.close();
    c.setState("open", Date.now(), undefined, manual(c));
    await until(() => b.state === "open", 2_000, "b still hears");
    expect(a.state).toBe("closed");
  });

  it("answers false at once while the fleet's leases are all taken, without asking", async () => {
    const name = uniqueName("full");
    const a = await fixtures.storage(await fixtures.client("node-redis", server), { name });
    const b = await fixtures.storage(await fixtures.client("node-redis", server), { name });
    a.setState("half-open", undefined, undefined, manual(a));
    await until(() => b.state === "half-open");
    expect(await acquire(a, a.generation, 1)).toBe(true);
    expect(await acquire(b, b.generation, 1)).toBe(false);
    // b knows now: no lease frees up before the holder's expiry.
    expect(b.acquireTrial(b.generation, 1, undefined)).toBe(false);
    expect(b.acquireTrial(b.generation - 1, 1, undefined)).toBe(false);
    expect(a.acquireTrial(a.generation, 1, undefined)).toBe(false);
  });

  it("keeps a shared window over the fleet: buckets age out, slow calls trip, closing empties it", async () => {
    const name = uniqueName("window-rules");
    const storage = await fixtures.storage(await fixtures.client("ioredis", server), {
      name,
      resyncInterval: 30,
    });
    const rule = {
      duration: 600,
      buckets: 2,
      minimumCalls: 2,
      failureRateThreshold: undefined,
      slowCallRateThreshold: 100,
    };
    const window = storage.shareWindow(rule);
    window.record(Date.now(), 0);
    expect([window.calls, window.failures, window.slowCalls]).toEqual([1, 0, 0]);
    // A window of a storage that sends nothing for a minute ages out here too.
    const quiet = await fixtures.storage(await fixtures.client("ioredis", server), {
      name: uniqueName("quiet"),
      resyncInterval: 60_000,
    });
    const local = quiet.shareWindow({ ...rule, slowCallRateThreshold: undefined });
    local.record(Date.now(), 0);
    expect(local.calls).toBe(1);
    // The batch goes out with a resync and comes back as the fleet's, then ages out.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(window.calls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    window.advance(Date.now());
    local.advance(Date.now());
    expect([window.calls, local.calls]).toEqual([0, 0]);
    window.record(Date.now(), 2);
    window.record(Date.now(), 3);
    storage.recordFailure({ ...failure(storage), now: Date.now() });
    expect(storage.state).toBe("open");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await server.cli("HGET", fcKey(storage), "st")).toBe("open");
    storage.setState("closed", undefined, undefined, manual(storage));
    expect([window.calls, window.slowCalls]).toEqual([0, 0]);
  });
});

function fcKey(storage: CircuitRedisStorage): string {
  return breakerKeys(storage.prefix, storage.name).keys[0];
}
