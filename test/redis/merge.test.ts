// The merge rule after a partition: one process cut off from Redis while the fleet goes on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CircuitRedisStorage } from "../../src/redis/index.js";
import { failure, manual } from "../storage-contract.js";
import { RedisServer } from "../support/redis-server.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { Fixtures, uniqueName, until, type Driver } from "./fixtures.js";

let server: RedisServer;
const fixtures = new Fixtures();
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  await fixtures.closeAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

afterAll(async () => {
  await server.stop();
});

const fast = { commandTimeout: 500, resyncInterval: 50 };

/** `cutOff` reaches Redis through a proxy the test cuts; `fleet` directly. */
async function partitioned(driver: Driver): Promise<{
  proxy: TcpProxy;
  cutOff: CircuitRedisStorage;
  fleet: CircuitRedisStorage;
  events: string[];
}> {
  const name = uniqueName("merge");
  const proxy = await TcpProxy.start(server.port);
  proxies.push(proxy);
  const events: string[] = [];
  const cutOff = await fixtures.storage(
    await fixtures.client(driver, proxy),
    { name, ...fast },
    events,
  );
  const fleet = await fixtures.storage(await fixtures.client(driver, server), { name, ...fast });
  return { proxy, cutOff, fleet, events };
}

/** Cuts the proxy and waits for the cut-off storage to report the outage. */
async function partition(proxy: TcpProxy, events: string[]): Promise<void> {
  // Settled first: a slow first answer on a busy machine may have been an outage of its own.
  await until(() => events.length === 0 || events.at(-1) === "recovery", 5_000, "a settled start");
  const before = events.length;
  proxy.cut();
  await until(() => events.length > before, 5_000, "the outage");
  expect(events.at(-1)).toMatch(/^outage: /);
}

/** Heals the proxy and waits for the recovery report. */
async function heal(proxy: TcpProxy, events: string[]): Promise<void> {
  const before = events.length;
  proxy.heal();
  await until(() => events.length > before, 5_000, "the recovery");
  expect(events.at(-1)).toBe("recovery");
}

describe.each(["node-redis", "ioredis"] as const)(
  "the merge rule over %s",
  { timeout: 20_000 },
  (driver) => {
    it("writes back an opening made offline when the fleet did not move", async () => {
      const { proxy, cutOff, fleet, events } = await partitioned(driver);
      await partition(proxy, events);
      expect(cutOff.recordFailure(failure(cutOff, 1)).tripped).toBe(true);
      await heal(proxy, events);
      await until(() => fleet.state === "open", 3_000, "the fleet hears the opening");
      expect(fleet.openAttempts).toBe(1);
    });

    it("an opening made offline beats an automatic change of the fleet", async () => {
      const { proxy, cutOff, fleet, events } = await partitioned(driver);
      fleet.setState("open", Date.now(), 0, manual(fleet));
      await until(() => cutOff.state === "open");
      await partition(proxy, events);
      // The fleet retries (automatic); the cut-off process re-opens by itself meanwhile.
      fleet.setState("half-open", undefined, undefined, {
        cause: "retry",
        generation: fleet.generation,
      });
      cutOff.setState("open", Date.now(), 5_000, {
        cause: "reopen",
        generation: cutOff.generation,
      });
      await heal(proxy, events);
      await until(() => fleet.state === "open", 3_000, "the opening wins");
      expect([cutOff.state, fleet.openDuration]).toEqual(["open", 5_000]);
    });

    it("a manual change made on the fleet during the outage wins over an offline opening", async () => {
      const { proxy, cutOff, fleet, events } = await partitioned(driver);
      await partition(proxy, events);
      cutOff.recordFailure(failure(cutOff, 1));
      fleet.setState("open", Date.now(), undefined, manual(fleet));
      fleet.setState("closed", undefined, undefined, manual(fleet));
      await heal(proxy, events);
      await until(() => cutOff.state === "closed", 3_000, "the operator's close wins");
      expect(fleet.state).toBe("closed");
    });

    it("the later manual change wins: one made offline after the fleet's", async () => {
      const { proxy, cutOff, fleet, events } = await partitioned(driver);
      await partition(proxy, events);
      fleet.setMode("forced-open");
      await new Promise((resolve) => setTimeout(resolve, 20));
      cutOff.setMode("disabled");
      await heal(proxy, events);
      await until(() => fleet.mode === "disabled", 3_000, "the later operator wins");
      expect(cutOff.mode).toBe("disabled");
    });

    it("keeps the fleet's state when only counts differ", async () => {
      const { proxy, cutOff, fleet, events } = await partitioned(driver);
      await partition(proxy, events);
      cutOff.recordFailure(failure(cutOff, 10));
      cutOff.recordFailure(failure(cutOff, 10));
      const generation = fleet.generation;
      await heal(proxy, events);
      await until(() => cutOff.failCounter === 0, 3_000, "the fleet's count back");
      expect(fleet.generation).toBe(generation);
    });

    it("answers trials locally while cut off: its own limit", async () => {
      const { proxy, cutOff, events } = await partitioned(driver);
      await partition(proxy, events);
      cutOff.setState("half-open", undefined, undefined, manual(cutOff));
      const g = cutOff.generation;
      expect([cutOff.acquireTrial(g, 1, undefined), cutOff.acquireTrial(g, 1, undefined)]).toEqual([
        true,
        false,
      ]);
      expect(cutOff.trialCalls).toBe(1);
      cutOff.releaseTrial(g);
      expect(cutOff.acquireTrial(g, 1, 100)).toBe(true);
      expect(cutOff.recordTrialSuccess(g, 1)).toEqual({ successCounter: 1, closed: true });
      await heal(proxy, events);
    });
  },
);
