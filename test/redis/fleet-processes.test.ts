// N real processes (fleet-worker.ts, each with its own Redis client, CircuitRedisStorage and
// breaker) over one redis-server, in front of an HTTP dependency in this process that counts
// the requests it gets. Every wait is for a message or a polled condition, with a deadline.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpDependency } from "../support/http-dependency.js";
import { RedisServer } from "../support/redis-server.js";
import { Fleet } from "./fleet-children.js";
import { uniqueName } from "./fixtures.js";
import type { WorkerClient, WorkerConfig, WorkerReport } from "./fleet-protocol.js";

let server: RedisServer;
let dependency: HttpDependency | undefined;
let fleet: Fleet | undefined;

beforeAll(async () => {
  server = await RedisServer.start();
});

afterEach(async () => {
  // The dependency first: it answers the calls it holds, so that every worker can stop.
  await dependency?.stop();
  dependency = undefined;
  await fleet?.close();
  fleet = undefined;
}, 60_000);

afterAll(async () => {
  await server.stop();
});

const N = 4;
const nodeRedisFleet: readonly WorkerClient[] = ["redis@6", "redis@6", "redis@6", "redis@6"];
/** Both drivers, both major versions of each. */
const mixedFleet: readonly WorkerClient[] = ["redis@6", "ioredis@6", "redis@5", "ioredis@5"];

interface Setup {
  readonly clients: readonly WorkerClient[];
  readonly breaker: WorkerConfig["breaker"];
  readonly storage?: WorkerConfig["storage"];
}

async function startFleet(
  setup: Setup,
): Promise<{ fleet: Fleet; dependency: HttpDependency; name: string }> {
  dependency = await HttpDependency.start();
  const name = uniqueName("processes");
  const url = dependency.url;
  fleet = await Fleet.start(
    setup.clients.map((client, i) => ({
      id: `w${String(i)}`,
      client,
      redisPort: server.port,
      name,
      dependency: url,
      breaker: setup.breaker,
      storage: setup.storage ?? {},
    })),
  );
  return { fleet, dependency, name };
}

const every =
  (check: (report: WorkerReport) => boolean) =>
  (reports: WorkerReport[]): boolean =>
    reports.every(check);

async function hget(name: string, field: string): Promise<string> {
  return server.cli("HGET", `aiobreaker:{${name}}:s`, field);
}

describe("a dead dependency behind N processes", () => {
  const failMax = 8;
  const concurrency = 1;

  for (const [label, clients] of [
    ["node-redis", nodeRedisFleet],
    ["a mixed fleet (node-redis 5 and 6, ioredis 5 and 6)", mixedFleet],
  ] as const) {
    it(`gets at most failMax + the calls in flight + one per process, over ${label}`, async ({
      annotate,
    }) => {
      const { fleet, dependency, name } = await startFleet({
        clients,
        breaker: { failMax, resetTimeout: 60_000, halfOpenMaxCalls: 1, successThreshold: 1 },
      });
      dependency.mode = "down";
      await fleet.all({ type: "run", concurrency, pause: 1 });
      await fleet.until(
        every((report) => report.state === "open"),
        "every process open",
      );
      const reports = await fleet.all({ type: "stop" });
      const reached = dependency.requests.length;
      // Each process has at most `concurrency` calls in flight at the trip, and may start one
      // more before it hears of it.
      const bound = failMax + N * concurrency + N;
      await annotate(
        `${String(reached)} requests reached the dependency (by process: ${reports.map((report) => String(report.counts.sent)).join(", ")}; bound ${String(bound)})`,
      );
      expect(reached).toBeGreaterThanOrEqual(failMax);
      expect(reached).toBeLessThanOrEqual(bound);
      expect(reports.reduce((sum, report) => sum + report.counts.sent, 0)).toBe(reached);
      // One trip for the fleet.
      expect(await hget(name, "at")).toBe("1");
      expect(reports.map((report) => report.openAttempts)).toEqual([1, 1, 1, 1]);
    }, 60_000);
  }

  it("lets N x failMax through N independent breakers (no shared storage), as a contrast", async ({
    annotate,
  }) => {
    const { fleet, dependency } = await startFleet({
      clients: ["memory", "memory", "memory", "memory"],
      breaker: { failMax, resetTimeout: 60_000, halfOpenMaxCalls: 1, successThreshold: 1 },
    });
    await fleet.all({ type: "run", concurrency, pause: 1 });
    await fleet.until(
      every((report) => report.state === "open"),
      "every process open",
    );
    await fleet.all({ type: "stop" });
    await annotate(`${String(dependency.requests.length)} requests reached the dependency`);
    expect(dependency.requests).toHaveLength(N * failMax);
    for (const worker of fleet.workers) expect(dependency.from(worker.id)).toBe(failMax);
  }, 60_000);
});

/** Polls this process's own `check` every 5 ms (20 s at most). */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until every live worker was refused `more` more calls than in `before`. */
async function refusedMore(
  fleet: Fleet,
  before: readonly WorkerReport[],
  more: number,
): Promise<WorkerReport[]> {
  const start = new Map(before.map((report) => [report.id, report.counts.rejected]));
  return fleet.until(
    every((report) => report.counts.rejected >= (start.get(report.id) ?? 0) + more),
    `every process refused ${String(more)} more calls`,
  );
}

describe("recovery of the fleet", () => {
  it("sends exactly halfOpenMaxCalls trials while the first is in flight, then closes everywhere", async ({
    annotate,
  }) => {
    const halfOpenMaxCalls = 2;
    const { fleet, dependency, name } = await startFleet({
      clients: mixedFleet,
      breaker: { failMax: 3, resetTimeout: 1_000, halfOpenMaxCalls, successThreshold: 2 },
    });
    dependency.mode = "down";
    // One loop more than trials per process: a process holding every trial still calls.
    await fleet.all({ type: "run", concurrency: halfOpenMaxCalls + 1, pause: 2 });
    // A request sent in the closed state may reach the dependency long after the trip on a
    // loaded machine: the dependency is switched to holding (slow) only once none is on its
    // way, so that every request it holds is a trial.
    await fleet.until(
      every((report) => report.state === "open" && report.counts.answered === report.counts.sent),
      "every process open, no request on its way",
    );
    dependency.mode = "hold";
    const before = dependency.requests.length;
    await until(() => dependency.held.length === halfOpenMaxCalls, "the trials");
    const halfOpen = await fleet.until(
      every((report) => report.state === "half-open" && report.trialCalls === halfOpenMaxCalls),
      "every process half-open, knowing both leases taken",
    );
    // Every process goes on calling and is refused: no other trial reaches the dependency.
    const refused = await refusedMore(fleet, halfOpen, 20);
    await annotate(
      `${String(dependency.requests.length - before)} trial requests while held, ${String(refused.reduce((sum, report) => sum + report.counts.rejected, 0))} calls refused`,
    );
    expect(dependency.requests.length - before).toBe(halfOpenMaxCalls);
    expect(dependency.held).toHaveLength(halfOpenMaxCalls);
    expect(await server.cli("ZCARD", `aiobreaker:{${name}}:l`)).toBe(String(halfOpenMaxCalls));
    dependency.mode = "up";
    dependency.release(200);
    const closed = await fleet.until(
      every((report) => report.state === "closed" && report.counts.succeeded > 0),
      "every process closed and calling again",
    );
    expect(closed.map((report) => report.openAttempts)).toEqual([0, 0, 0, 0]);
    expect(await hget(name, "st")).toBe("closed");
    await fleet.all({ type: "stop" });
  }, 60_000);

  it("takes a trial lease back from a process killed (-9) holding it, and runs another's trial", async ({
    annotate,
  }) => {
    const { fleet, dependency } = await startFleet({
      clients: mixedFleet,
      breaker: { failMax: 3, resetTimeout: 60_000, halfOpenMaxCalls: 1, successThreshold: 1 },
      // Live holders renew their leases at each resync; a dead one's lapses after leaseTimeout.
      storage: { leaseTimeout: 1_500, resyncInterval: 200 },
    });
    dependency.mode = "hold";
    await fleet.workers[0]!.command({ type: "action", action: "halfOpen" });
    await fleet.until(
      every((report) => report.state === "half-open"),
      "every process half-open",
    );
    await fleet.all({ type: "run", concurrency: 2, pause: 2 });
    await until(() => dependency.held.length === 1, "the first trial");
    const holder = fleet.workers.find((worker) => worker.id === dependency.held[0]!.worker)!;
    await fleet.kill(holder);
    // The others are refused until the lease lapses; then one of them runs its trial.
    await until(() => dependency.requests.length === 2, "a second trial");
    expect(dependency.requests[1]).not.toBe(holder.id);
    const second = await fleet.reports();
    await refusedMore(fleet, second, 20);
    await annotate(
      `trial requests: ${dependency.requests.join(", ")} (${holder.id} killed holding the first)`,
    );
    expect(dependency.requests).toHaveLength(2);
    dependency.mode = "up";
    dependency.release(200);
    await fleet.until(
      every((report) => report.state === "closed"),
      "every live process closed",
    );
    await fleet.all({ type: "stop" });
  }, 60_000);
});

describe("operator actions", () => {
  it("reach every process: forceOpen, enable, close, disable, open, halfOpen, reset", async () => {
    const { fleet, dependency, name } = await startFleet({
      clients: mixedFleet,
      breaker: { failMax: 2, resetTimeout: 60_000, halfOpenMaxCalls: 1, successThreshold: 1 },
    });
    dependency.mode = "up";
    const steps = [
      { action: "forceOpen", state: "open", mode: "forced-open" },
      { action: "enable", state: "open", mode: "enabled" },
      { action: "close", state: "closed", mode: "enabled" },
      { action: "disable", state: "closed", mode: "disabled" },
      { action: "open", state: "open", mode: "disabled" },
      { action: "enable", state: "open", mode: "enabled" },
      { action: "halfOpen", state: "half-open", mode: "enabled" },
      { action: "forceOpen", state: "open", mode: "forced-open" },
      { action: "reset", state: "closed", mode: "enabled" },
    ] as const;
    for (const [i, step] of steps.entries()) {
      const actor = fleet.workers[i % N]!;
      await actor.command({ type: "action", action: step.action });
      await fleet.until(
        every((report) => report.state === step.state && report.mode === step.mode),
        `${step.action} from ${actor.id} to reach every process`,
      );
      expect(await hget(name, "md")).toBe(step.mode);
    }
    expect((await fleet.reports()).map((report) => report.openAttempts)).toEqual([0, 0, 0, 0]);
    // Forced open everywhere: no process lets a call through.
    await fleet.workers[1]!.command({ type: "action", action: "forceOpen" });
    await fleet.until(
      every((report) => report.mode === "forced-open"),
      "forced open everywhere",
    );
    const sent = dependency.requests.length;
    for (const worker of fleet.workers) {
      expect((await worker.command({ type: "call" })).outcome).toBe("rejected");
    }
    expect(dependency.requests).toHaveLength(sent);
    // Disabled everywhere: a dead dependency trips nothing.
    await fleet.workers[2]!.command({ type: "action", action: "disable" });
    await fleet.until(
      every((report) => report.mode === "disabled"),
      "disabled everywhere",
    );
    dependency.mode = "down";
    for (const worker of fleet.workers) {
      for (let i = 0; i < 3; i++) {
        expect((await worker.command({ type: "call" })).outcome).toBe("failed");
      }
    }
    expect((await fleet.reports()).map((report) => report.openAttempts)).toEqual([1, 1, 1, 1]);
    await fleet.workers[3]!.command({ type: "action", action: "reset" });
    await fleet.until(
      every(
        (report) =>
          report.state === "closed" && report.mode === "enabled" && report.openAttempts === 0,
      ),
      "reset everywhere",
    );
  }, 60_000);
});
