// npm run bench:fleet: what the Redis storage costs. Starts its own redis-server on a free
// loopback port (no persistence), prints: closed success over CircuitRedisStorage against the
// same breaker over CircuitMemoryStorage, Redis commands per closed success, commands per
// second at rest, and the time from a trip in one process until the last of 8 processes sees it.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { CircuitBreaker, CircuitMemoryStorage } from "../dist/index.js";
import { CircuitRedisStorage } from "../dist/redis/index.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

if (process.argv[2] === "--child") {
  // One of the 8 processes: reports the moment its storage's state changes.
  const client = await createClient({ url: process.argv[3] }).connect();
  const storage = new CircuitRedisStorage(client, { name: "bench-trip" });
  await storage.ready;
  let state = storage.state;
  storage.subscribe(() => {
    if (storage.state !== state) {
      state = storage.state;
      process.send(now());
    }
  });
  process.send("ready");
  process.on("disconnect", () => {
    void storage.close().then(() => client.destroy());
  });
} else {
  await main();
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main() {
  const port = await freePort();
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${String(port)}`;
  let client;
  for (let i = 0; i < 100 && client === undefined; i++) {
    client = await createClient({ url })
      .connect()
      .catch(() => undefined);
    if (client === undefined) await sleep(50);
  }
  const probe = await createClient({ url }).connect();
  const commands = async () =>
    Number(/total_commands_processed:(\d+)/.exec(await probe.sendCommand(["INFO", "stats"]))[1]);
  const calls = async () =>
    Number(
      /cmdstat_evalsha:calls=(\d+)/.exec(await probe.sendCommand(["INFO", "commandstats"]))?.[1] ??
        0,
    );
  const fn = async () => {
    await null;
    return 1;
  };
  const perCall = async (breaker) => {
    const samples = [];
    for (let s = 0; s < 200; s++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 1_000; i++) await breaker.call(fn);
      samples.push(Number(process.hrtime.bigint() - start) / 1_000);
    }
    return samples.sort((a, b) => a - b)[100];
  };
  const storage = new CircuitRedisStorage(client, { name: "bench-closed" });
  await storage.ready;
  const onMemory = new CircuitBreaker({ storage: new CircuitMemoryStorage() });
  const onRedis = new CircuitBreaker({ storage });
  console.log(`Fleet storage (Node ${process.version}), redis-server on loopback\n`);
  for (let round = 0; round < 3; round++) {
    const memory = await perCall(onMemory);
    const shared = await perCall(onRedis);
    console.log(
      `closed success, fn awaits once: memory ${memory.toFixed(1)} ns, Redis ${shared.toFixed(1)} ns: ${(shared / memory).toFixed(2)}x`,
    );
  }
  let before = await calls();
  for (let i = 0; i < 100_000; i++) await onRedis.call(fn);
  console.log(
    `script calls sent during 100 000 closed successes: ${String((await calls()) - before)}`,
  );
  await sleep(1_000);
  before = await commands();
  const scripts = await calls();
  await sleep(10_000);
  const total = (await commands()) - before - 2;
  console.log(
    `at rest, one breaker: ${((await calls()) - scripts) / 10} script calls/s (${(total / 10).toFixed(1)} commands/s counting those inside the script)`,
  );
  await storage.close();

  const children = Array.from({ length: 8 }, () =>
    spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", url], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const next = (child) => new Promise((resolve) => child.once("message", resolve));
  await Promise.all(children.map(next));
  const trip = new CircuitRedisStorage(client, { name: "bench-trip" });
  await trip.ready;
  const delays = [];
  for (let round = 0; round < 31; round++) {
    const seen = Promise.all(children.map(next));
    const start = now();
    trip.setState("open", Date.now(), 60_000, { cause: "manual", generation: trip.generation });
    delays.push(Math.max(...(await seen)) - start);
    const closed = Promise.all(children.map(next));
    trip.setState("closed", undefined, undefined, { cause: "manual", generation: trip.generation });
    await closed;
  }
  delays.sort((a, b) => a - b);
  console.log(
    `trip propagation to the last of 8 processes: median ${delays[15].toFixed(2)} ms (31 trips, max ${delays[30].toFixed(2)} ms)`,
  );
  for (const child of children) child.disconnect();
  await trip.close();
  client.destroy();
  probe.destroy();
  redis.kill("SIGKILL");
}
