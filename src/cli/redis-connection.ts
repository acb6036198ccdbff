import type { createClient as CreateClient, createCluster as CreateCluster } from "redis";
import type { NodeRedisClientLike, NodeRedisClusterLike, RedisClientLike } from "../redis/index.js";
import { CliError, oneLine } from "./cli-error.js";
import { REDIS_TIMEOUT, withDeadline } from "./deadline.js";

/** How a connection behaves once up. */
export interface ConnectOptions {
  /**
   * Reconnect after the connection drops (the dashboard, which runs for long), instead of
   * failing at once (a one-shot command). The first connection is never retried: a Redis that
   * cannot be reached is reported within {@link REDIS_TIMEOUT}.
   */
  readonly reconnect: boolean;
  /** Aborts the wait for the connection and for each command. */
  readonly signal?: AbortSignal | undefined;
}

/** Sends one command to one server. */
type Send = (args: string[]) => Promise<unknown>;

/** What the CLI uses of a node-redis client or cluster, whichever the URL leads to. */
interface Driver {
  /** For the storages. */
  readonly client: RedisClientLike;
  /** Sends a command to the server of `key`'s slot (any server without a key). */
  send(key: string | undefined, args: string[]): Promise<unknown>;
  /** One sender per master: a standalone server is its own. */
  masters(): Promise<Send[]>;
  close(): Promise<unknown>;
  destroy(): void;
}

interface NodeRedisClient extends NodeRedisClientLike {
  close(): Promise<unknown>;
  destroy(): void;
}

interface NodeRedisCluster extends NodeRedisClusterLike {
  readonly masters: readonly object[];
  nodeClient(node: object): Promise<NodeRedisClient>;
  close(): Promise<unknown>;
  destroy(): void;
}

interface NodeRedis {
  readonly createClient: typeof CreateClient;
  readonly createCluster: typeof CreateCluster;
}

/** `redis://user:secret@host` as `redis://user:***@host`: the URL goes into messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.href;
}

async function loadNodeRedis(): Promise<NodeRedis> {
  try {
    const { createClient, createCluster } = await import("redis");
    return { createClient, createCluster };
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CliError(
        "the aiobreaker CLI needs the redis package (node-redis 5 or 6): npm install redis",
      );
    }
    throw new CliError(`cannot load the redis package: ${oneLine(error)}`);
  }
}

function standalone(client: NodeRedisClient): Driver {
  return {
    client,
    send: (_key, args) => client.sendCommand(args),
    masters: () => Promise.resolve([(args) => client.sendCommand(args)]),
    close: () => client.close(),
    destroy: () => {
      client.destroy();
    },
  };
}

function cluster(client: NodeRedisCluster): Driver {
  return {
    client,
    send: (key, args) => client.sendCommand(key, false, args),
    masters: async () => {
      const nodes = await Promise.all(client.masters.map((node) => client.nodeClient(node)));
      return nodes.map((node) => (args: string[]) => node.sendCommand(args));
    },
    close: () => client.close(),
    destroy: () => {
      client.destroy();
    },
  };
}

/**
 * The options of every connection to a cluster's nodes, from the URL given (the cluster makes
 * the nodes' connections from these, not from the URL): credentials, TLS for `rediss:`.
 */
export function nodeDefaults<Socket extends object>(
  url: string,
  socket: Socket,
): {
  disableClientInfo: true;
  username?: string;
  password?: string;
  socket: Socket | (Socket & { tls: true });
} {
  const parsed = new URL(url);
  return {
    disableClientInfo: true,
    ...(parsed.username === "" ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === "" ? {} : { password: decodeURIComponent(parsed.password) }),
    socket: parsed.protocol === "rediss:" ? { ...socket, tls: true as const } : socket,
  };
}

/**
 * One node-redis connection to the fleet's Redis, a standalone server or a cluster (told apart
 * by asking the server: `INFO cluster`), every wait on it bounded: connecting and each command
 * fail with a one-line {@link CliError} after {@link REDIS_TIMEOUT}.
 */
export class RedisConnection {
  readonly #driver: Driver;
  readonly #url: string;
  readonly #signal: AbortSignal | undefined;
  #closed: Promise<void> | undefined;

  private constructor(driver: Driver, url: string, signal: AbortSignal | undefined) {
    this.#driver = driver;
    this.#url = url;
    this.#signal = signal;
  }

  /** Connects to `url` (loading node-redis first), or fails with a one-line reason. */
  static async open(url: string, options: ConnectOptions): Promise<RedisConnection> {
    const redis = await loadNodeRedis();
    const shown = redactUrl(url);
    let connected = false;
    const socket = {
      connectTimeout: REDIS_TIMEOUT,
      reconnectStrategy: (retries: number, cause: Error) =>
        connected && options.reconnect ? Math.min(100 * 2 ** retries, 2_000) : cause,
    };
    const connect = async (driver: Driver, connecting: Promise<unknown>): Promise<Driver> => {
      try {
        await withDeadline(connecting, REDIS_TIMEOUT, `Redis at ${shown}`, options.signal);
        return driver;
      } catch (error) {
        driver.destroy();
        if (error instanceof CliError) throw error;
        throw new CliError(`cannot reach Redis at ${shown}: ${oneLine(error)}`);
      }
    };
    const first = redis.createClient({ url, disableClientInfo: true, socket });
    // Errors also reach the commands (and the storages' outage reports); an unheard "error"
    // event would crash the process.
    first.on("error", () => undefined);
    let driver = await connect(standalone(first), first.connect());
    const probe = new RedisConnection(driver, shown, options.signal);
    let info: unknown;
    try {
      info = await probe.command(["INFO", "cluster"]);
    } catch (error) {
      driver.destroy();
      throw error;
    }
    if (/^cluster_enabled:1\b/m.test(String(info))) {
      await probe.close();
      const nodes = redis.createCluster({
        rootNodes: [{ url }],
        defaults: nodeDefaults(url, socket),
      });
      nodes.on("error", () => undefined);
      driver = await connect(cluster(nodes), nodes.connect());
    }
    connected = true;
    return new RedisConnection(driver, shown, options.signal);
  }

  /** The client or cluster, for the storages (which never close it). */
  get client(): RedisClientLike {
    return this.#driver.client;
  }

  /** The URL, its password hidden. */
  get url(): string {
    return this.#url;
  }

  /**
   * Sends one command (to the server of `key`'s slot in a cluster), bounded by
   * {@link REDIS_TIMEOUT}; its failure is a {@link CliError}.
   */
  command(args: string[], key?: string): Promise<unknown> {
    return this.#bounded(this.#driver.send(key, args), args);
  }

  /** Senders of one command to each master (the one server, when standalone), bounded. */
  async masters(): Promise<Send[]> {
    const masters = await this.#bounded(this.#driver.masters(), ["CLUSTER", "NODES"]);
    return masters.map((send) => (args: string[]) => this.#bounded(send(args), args));
  }

  /**
   * Closes the connection once the commands already sent are answered (what the storages sent
   * lands), or at once after {@link REDIS_TIMEOUT}. Idempotent; never rejects.
   */
  close(): Promise<void> {
    this.#closed ??= withDeadline(this.#driver.close(), REDIS_TIMEOUT, "closing").then(
      () => undefined,
      () => {
        this.#driver.destroy();
      },
    );
    return this.#closed;
  }

  async #bounded<T>(promise: Promise<T>, args: readonly string[]): Promise<T> {
    const name = args[0] ?? "";
    try {
      return await withDeadline(
        promise,
        REDIS_TIMEOUT,
        `Redis at ${this.#url} (${name})`,
        this.#signal,
      );
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`Redis at ${this.#url} failed ${name}: ${oneLine(error)}`);
    }
  }
}
