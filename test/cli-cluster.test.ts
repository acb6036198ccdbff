// The CLI on a 3-master Redis Cluster (told from a standalone server by asking it): status finds
// the breakers on every master, an action reaches a member over its own cluster client, and the
// dashboard follows them all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCluster } from "redis";
import { CircuitBreaker, CircuitBreakerMode } from "../src/index.js";
import { CircuitRedisStorage } from "../src/redis/index.js";
import { nodeDefaults } from "../src/cli/redis-connection.js";
import { RedisCluster } from "./support/redis-server.js";
import { until, uniqueName } from "./redis/fixtures.js";
import { buildIfMissing, cli, inProcess, output, waitFor } from "./cli-support.js";
import { runCli } from "../src/cli/run.js";

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;
const storages: CircuitRedisStorage[] = [];
const prefix = uniqueName("cluster");
const names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
const breakers = new Map<string, CircuitBreaker>();

beforeAll(async () => {
  await buildIfMissing();
  cluster = await RedisCluster.start();
  client = createCluster({ rootNodes: cluster.rootNodes });
  client.on("error", () => undefined);
  await client.connect();
  for (const name of names) {
    const storage = new CircuitRedisStorage(client, {
      name,
      prefix,
      onOutage: () => undefined,
      onRecovery: () => undefined,
    });
    storages.push(storage);
    await storage.ready;
    breakers.set(name, new CircuitBreaker({ name, storage }));
  }
}, 120_000);

afterAll(async () => {
  for (const storage of storages) await storage.close();
  client.destroy();
  await cluster.stop();
});

describe("the CLI on a Redis Cluster", () => {
  it("lists the breakers of every master", async () => {
    // The names are spread over more than one node, or this would prove nothing.
    const nodes = new Set(
      await Promise.all(names.map(async (name) => (await cluster.nodeFor(`{${name}}`)).port)),
    );
    expect(nodes.size).toBeGreaterThan(1);
    const url = (cluster.nodes[0] as { url: string }).url;
    for (const run of [cli, inProcess]) {
      const outcome = await run(["status", "--redis", url, "--prefix", prefix, "--json"]);
      expect(outcome.code).toBe(0);
      expect((JSON.parse(outcome.stdout) as { name: string }[]).map(({ name }) => name)).toEqual(
        names,
      );
    }
  }, 30_000);

  it("acts on a breaker through the cluster, heard by the other members", async () => {
    const url = (cluster.nodes[1] as { url: string }).url;
    const outcome = await inProcess(["force-open", "delta", "--redis", url, "--prefix", prefix]);
    expect(outcome).toMatchObject({
      code: 0,
      stdout: "delta: closed (enabled) -> open (forced-open)\n",
    });
    const delta = breakers.get("delta") as CircuitBreaker;
    await until(() => delta.mode === CircuitBreakerMode.FORCED_OPEN, 5_000, "force-open");
    const status = await inProcess(["status", "delta", "--redis", url, "--prefix", prefix]);
    expect(status.stdout).toMatch(/\ndelta +open +forced-open +0 /);
    delta.reset();
  }, 30_000);

  it("serves the dashboard of every breaker on the cluster", async () => {
    const controller = new AbortController();
    const stdout = output();
    const url = (cluster.nodes[2] as { url: string }).url;
    const done = runCli(["dashboard", "--redis", url, "--prefix", prefix, "--port", "0"], {
      stdout,
      stderr: output(),
      env: {},
      signal: controller.signal,
    });
    try {
      const page = await waitFor(
        () => /(http:\/\/\S+\/) /.exec(stdout.text)?.[1],
        "the dashboard's URL",
      );
      const cards = (await (await fetch(`${page}snapshot`)).json()) as { name: string }[];
      expect(cards.map(({ name }) => name).sort()).toEqual(names);
    } finally {
      controller.abort();
    }
    expect(await done).toBe(0);
  }, 30_000);

  it("gives every node's connection the URL's credentials and TLS", () => {
    const socket = { connectTimeout: 3_000 };
    expect(nodeDefaults("rediss://ops:p%40ss@host:7000", socket)).toEqual({
      disableClientInfo: true,
      username: "ops",
      password: "p@ss",
      socket: { connectTimeout: 3_000, tls: true },
    });
    expect(nodeDefaults("redis://host:7000", socket)).toEqual({ disableClientInfo: true, socket });
  });
});
