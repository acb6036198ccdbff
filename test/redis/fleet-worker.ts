// One process of a fleet (run by fleet-children.ts through the transpiled tree): its own Redis
// client and CircuitRedisStorage (or a breaker of its own, for the contrast), a breaker in front
// of the test's HTTP dependency, and the commands of fleet-protocol.ts over IPC.
import { request } from "node:http";
import { CircuitBreaker } from "../../src/index.js";
import { CircuitRedisStorage, type RedisClientLike } from "../../src/redis/index.js";
import type {
  CallCounts,
  WorkerCommand,
  WorkerConfig,
  WorkerMessage,
  WorkerReport,
} from "./fleet-protocol.js";

const config = JSON.parse(process.argv[2] ?? "") as WorkerConfig;

interface Connected {
  readonly client: RedisClientLike;
  close(): Promise<unknown>;
}

async function connectClient(): Promise<Connected | undefined> {
  const url = `redis://127.0.0.1:${String(config.redisPort)}`;
  const socket = { reconnectStrategy: () => 50, connectTimeout: 2_000 };
  const ioredisOptions = {
    host: "127.0.0.1",
    port: config.redisPort,
    lazyConnect: true,
    retryStrategy: () => 50,
    maxRetriesPerRequest: 1,
  };
  switch (config.client) {
    case "memory":
      return undefined;
    // Only the driver in use is loaded: a worker starts faster.
    case "redis@6": {
      const { createClient } = await import("redis");
      const client = createClient({ url, socket });
      client.on("error", report);
      await client.connect();
      return { client, close: () => client.close() };
    }
    case "redis@5": {
      const { createClient } = await import("redis5");
      const client = createClient({ url, socket });
      client.on("error", report);
      await client.connect();
      return { client, close: () => client.close() };
    }
    case "ioredis@6": {
      const { Redis } = await import("ioredis");
      const client = new Redis(ioredisOptions);
      client.on("error", report);
      await client.connect();
      return { client, close: () => client.quit() };
    }
    case "ioredis@5": {
      const { Redis } = await import("ioredis5");
      const client = new Redis(ioredisOptions);
      client.on("error", report);
      await client.connect();
      return { client, close: () => client.quit() };
    }
  }
}

function report(error: unknown): void {
  console.error(`worker ${config.id}:`, error);
}

const connected = await connectClient();
const storage =
  connected === undefined
    ? undefined
    : new CircuitRedisStorage(connected.client, {
        name: config.name,
        ...config.storage,
        onOutage: (error) => {
          report(error);
        },
        onRecovery: () => undefined,
      });
await storage?.ready;
const breaker = new CircuitBreaker({
  name: config.name,
  ...(storage === undefined ? {} : { storage }),
  ...config.breaker,
});

const counts = { sent: 0, answered: 0, succeeded: 0, failed: 0, rejected: 0 };

/** GET the dependency; a status other than 200 is a failure. */
async function callDependency(): Promise<void> {
  counts.sent++;
  await new Promise<void>((resolve, reject) => {
    const outgoing = request(
      config.dependency,
      { agent: false, headers: { "x-worker": config.id } },
      (response) => {
        response.resume();
        response.once("end", () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`HTTP ${String(response.statusCode)}`));
        });
      },
    );
    outgoing.once("error", reject);
    outgoing.end();
  }).finally(() => {
    counts.answered++;
  });
}

async function oneCall(): Promise<"succeeded" | "failed" | "rejected"> {
  const call = { ran: false };
  try {
    await breaker.call(async () => {
      call.ran = true;
      await callDependency();
    });
    counts.succeeded++;
    return "succeeded";
  } catch {
    // A refused call never ran: nothing was sent.
    if (!call.ran) {
      counts.rejected++;
      return "rejected";
    }
    counts.failed++;
    return "failed";
  }
}

function snapshot(): WorkerReport {
  return {
    id: config.id,
    state: breaker.state,
    mode: breaker.mode,
    openAttempts: storage?.openAttempts ?? 0,
    failCounter: breaker.failCounter,
    trialCalls: storage?.trialCalls ?? 0,
    counts: { ...counts } satisfies CallCounts,
  };
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

let running = false;
let loops: Promise<void>[] = [];

async function loop(pause: number): Promise<void> {
  while (running) {
    await oneCall();
    // Also lets I/O in between: a refused call settles in a microtask.
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

async function handle(command: WorkerCommand): Promise<void> {
  let outcome: "succeeded" | "failed" | "rejected" | undefined;
  switch (command.type) {
    case "run":
      running = true;
      loops = Array.from({ length: command.concurrency }, () => loop(command.pause));
      break;
    case "stop":
      running = false;
      await Promise.all(loops);
      loops = [];
      break;
    case "call":
      outcome = await oneCall();
      break;
    case "report":
      break;
    case "action":
      breaker[command.action]();
      break;
    case "exit":
      running = false;
      await Promise.all(loops);
      await storage?.close();
      await connected?.close();
      send({ type: "answer", seq: command.seq, report: snapshot() });
      process.disconnect();
      return;
  }
  send({
    type: "answer",
    seq: command.seq,
    report: snapshot(),
    ...(outcome === undefined ? {} : { outcome }),
  });
}

process.on("message", (command: WorkerCommand) => {
  handle(command).catch((error: unknown) => {
    report(error);
    process.exitCode = 1;
    process.disconnect();
  });
});
send({ type: "ready", report: snapshot() });
