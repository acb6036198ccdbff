// The fleet demo (npm run demo:fleet): one breaker shared by several processes through Redis.
// Starts a local redis-server on a free port (no persistence), a flaky HTTP dependency that counts
// the requests it gets, and 4 worker processes, each with its own CircuitBreaker over a
// CircuitRedisStorage named "inventory" in front of it, all sending traffic. The dependency goes
// down for a few seconds and comes back; every worker prints the state changes it sees, and the
// summary counts what reached the dependency: while it was down about failMax requests for the
// whole fleet (not 4 x failMax) and one trial per resetTimeout, and a single trial during
// recovery. Ends by itself in about 10 s. `--workers <n>` (1 to 16) changes the fleet's size.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BREAKER = { name: "inventory", failMax: 5, resetTimeout: 1_000, callTimeout: 1_000 };
const SCHEDULE = { up: 1_500, down: 3_500, recovered: 3_000 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.argv[2] === "--worker") {
  await worker(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}

/** One process of the fleet: a breaker over the shared storage, calling the dependency. */
async function worker(redisUrl, dependencyUrl, id) {
  const { createClient } = await import("redis");
  const { CircuitBreaker } = await import("../dist/index.js");
  const { CircuitRedisStorage } = await import("../dist/redis/index.js");
  const client = createClient({ url: redisUrl });
  client.on("error", () => undefined);
  await client.connect();
  const storage = new CircuitRedisStorage(client, { name: BREAKER.name });
  await storage.ready;
  const breaker = new CircuitBreaker({
    ...BREAKER,
    storage,
    isFailureResult: (response) => response.status >= 500,
    listeners: [
      {
        stateChange: (_, from, to) => process.send({ id, from, to }),
      },
    ],
  });
  let running = true;
  process.on("message", (message) => {
    if (message === "stop") running = false;
  });
  process.send("ready");
  while (running) {
    await breaker
      .execute(async ({ signal }) => {
        // The dependency counts the requests that reach it by the state the caller saw.
        const response = await fetch(dependencyUrl, {
          headers: { "x-breaker-state": breaker.state },
          signal,
        });
        await response.arrayBuffer();
        return response;
      })
      .catch(() => undefined);
    await sleep(20);
  }
  await storage.close();
  await client.close();
  process.disconnect();
}

async function freePort() {
  const server = createTcpServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts redis-server on a free port; resolves once it accepts commands. */
async function startRedis() {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const failed = new Promise((_, reject) => {
    child.once("error", (error) => {
      reject(
        error.code === "ENOENT"
          ? new Error("redis-server is not installed (Debian: apt-get install redis-server)")
          : error,
      );
    });
  });
  const url = `redis://127.0.0.1:${String(port)}`;
  const { createClient } = await import("redis");
  const ready = (async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const client = createClient({ url, socket: { reconnectStrategy: false } });
      client.on("error", () => undefined);
      if (
        await client.connect().then(
          () => true,
          () => false,
        )
      ) {
        client.destroy();
        return;
      }
      await sleep(25);
    }
    throw new Error(`redis-server on port ${String(port)} never came up`);
  })();
  await Promise.race([ready, failed]);
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The flaky dependency: up, then down (503), then up again, counting what reaches it. */
function startDependency() {
  const counts = {
    up: 0,
    down: { closed: 0, "half-open": 0 },
    recovered: { closed: 0, "half-open": 0 },
  };
  let phase = "up";
  const server = createServer((req, res) => {
    const seen = req.headers["x-breaker-state"] === "half-open" ? "half-open" : "closed";
    if (phase === "up") counts.up++;
    else counts[phase][seen]++;
    const status = phase === "down" ? 503 : 200;
    setTimeout(() => {
      res.writeHead(status, { "Content-Type": "text/plain" }).end(status === 200 ? "ok" : "down");
    }, 5);
  });
  return {
    counts,
    set phase(value) {
      phase = value;
    },
    listen: () =>
      new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${String(server.address().port)}/`),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function main() {
  const { values } = parseArgs({ options: { workers: { type: "string", default: "4" } } });
  const count = Number(values.workers);
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    console.error(
      `--workers takes a whole number from 1 to 16, got ${JSON.stringify(values.workers)}`,
    );
    process.exitCode = 2;
    return;
  }
  let redis;
  try {
    redis = await startRedis();
  } catch (error) {
    console.error(`examples/fleet.js: ${error.message}`);
    process.exitCode = 1;
    return;
  }
  const dependency = startDependency();
  const dependencyUrl = await dependency.listen();
  let start = Date.now();
  const at = () => `[${((Date.now() - start) / 1000).toFixed(1).padStart(4)} s]`;
  console.log(
    `fleet: redis-server at ${redis.url}, ${String(count)} workers, breaker "${BREAKER.name}" ` +
      `(failMax ${String(BREAKER.failMax)}, resetTimeout ${String(BREAKER.resetTimeout)} ms) over CircuitRedisStorage`,
  );
  const seen = { trip: new Set(), recovery: new Set() };
  const workers = Array.from({ length: count }, (_, index) => {
    const id = String(index + 1);
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), "--worker", redis.url, dependencyUrl, id],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    const ready = new Promise((resolve) => {
      child.on("message", (message) => {
        if (message === "ready") {
          resolve();
          return;
        }
        console.log(`${at()} worker ${message.id}: ${message.from} -> ${message.to}`);
        if (message.from === "closed" && message.to === "open") seen.trip.add(message.id);
        if (message.to === "closed" && dependency.counts.recovered["half-open"] > 0) {
          seen.recovery.add(message.id);
        }
      });
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    return { child, ready, exited };
  });
  await Promise.all(workers.map((w) => w.ready));
  start = Date.now();
  console.log(`${at()} dependency up, ${String(count)} workers calling it`);
  await sleep(SCHEDULE.up);
  dependency.phase = "down";
  console.log(`${at()} dependency DOWN (answers 503)`);
  await sleep(SCHEDULE.down);
  dependency.phase = "recovered";
  console.log(`${at()} dependency up again`);
  await sleep(SCHEDULE.recovered);
  for (const w of workers) w.child.send("stop");
  await Promise.all(workers.map((w) => w.exited));
  await dependency.close();
  await redis.stop();

  const { down, recovered } = dependency.counts;
  console.log("summary:");
  console.log(
    `requests that reached the dependency while down, before the fleet tripped: ${String(down.closed)} ` +
      `(failMax ${String(BREAKER.failMax)} for the fleet; ${String(count)} independent breakers would let about ${String(count * BREAKER.failMax)} through)`,
  );
  console.log(
    `trial requests while down: ${String(down["half-open"])} (one per resetTimeout across the fleet)`,
  );
  console.log(
    `trial requests during recovery: ${String(recovered["half-open"])} (then the fleet closed)`,
  );
  console.log(`workers that saw the trip: ${String(seen.trip.size)} of ${String(count)}`);
  console.log(`workers that saw the recovery: ${String(seen.recovery.size)} of ${String(count)}`);
}
