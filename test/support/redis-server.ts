// Real Redis servers for the tests: a standalone server or a 3-master cluster on free loopback
// ports, with the faults the fleet tests need (kill -9 and an empty restart, SIGSTOP/SIGCONT).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (the OS picks it; it is free again when this resolves). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === "string") reject(new Error("no port"));
        else resolve(address.port);
      });
    });
  });
}

/** Resolves once something accepts TCP connections on `port`, rejects after `timeout` ms. */
async function waitForPort(port: number, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${String(port)} never came up`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs one `redis-cli` command against `port`, resolves its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`redis-cli ${args.join(" ")} exited ${String(code)}: ${out}`));
    });
  });
}

/** One redis-server process, no persistence: a restart comes back empty. */
export class RedisServer {
  readonly port: number;
  readonly #dir: string;
  readonly #extra: readonly string[];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(port: number, extra: readonly string[]) {
    this.port = port;
    this.#extra = extra;
    this.#dir = mkdtempSync(join(tmpdir(), "aiobreaker-redis-"));
  }

  /** Starts a server on a free port (`extra`: more redis-server arguments). */
  static async start(extra: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extra);
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.#dir,
        ...this.#extra,
      ],
      { stdio: "ignore" },
    );
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        resolve();
      });
    });
    await waitForPort(this.port);
  }

  /** `kill -9`: the server dies at once, with everything it held. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await this.#exited;
  }

  /** Starts the server again, empty, on the same port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** SIGSTOP: connections stay open and nothing is answered. */
  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  async cli(...args: string[]): Promise<string> {
    return redisCli(this.port, ...args);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Three masters and no replicas, made with `redis-cli --cluster create`. */
export class RedisCluster {
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: readonly RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await RedisServer.start([
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${String(i)}.conf`,
          "--cluster-node-timeout",
          "2000",
        ]),
      );
    }
    const cluster = new RedisCluster(nodes);
    const first = nodes[0] as RedisServer;
    await first.cli(
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${String(node.port)}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    );
    // Wait until every node agrees the cluster is up.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(nodes.map((node) => node.cli("CLUSTER", "INFO")));
      if (states.every((info) => info.includes("cluster_state:ok"))) break;
      if (Date.now() > deadline) throw new Error("the cluster never reached cluster_state:ok");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return cluster;
  }

  get rootNodes(): { url: string }[] {
    return this.nodes.map((node) => ({ url: node.url }));
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: "127.0.0.1", port: node.port }));
  }

  /** The node serving `key`'s slot. */
  async nodeFor(key: string): Promise<RedisServer> {
    const first = this.nodes[0] as RedisServer;
    const slot = Number(await first.cli("CLUSTER", "KEYSLOT", key));
    const slots = await first.cli("CLUSTER", "SLOTS");
    const lines = slots.split("\n");
    for (let i = 0; i + 3 < lines.length; i++) {
      const low = Number(lines[i]);
      const high = Number(lines[i + 1]);
      const port = Number(lines[i + 3]);
      if (Number.isInteger(low) && slot >= low && slot <= high) {
        const node = this.nodes.find((candidate) => candidate.port === port);
        if (node !== undefined) return node;
      }
    }
    throw new Error(`no node serves slot ${String(slot)}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
