import type { createClient as CreateClient } from "redis";
import type { NodeRedisClientLike, RedisClientLike } from "../redis/index.js";
import { CliError, oneLine } from "./cli-error.js";
import { REDIS_TIMEOUT, withDeadline } from "./deadline.js";

/** What the CLI uses of a node-redis client: the storage's part, and closing it. */
interface NodeRedisClient extends NodeRedisClientLike {
  close(): Promise<unknown>;
  destroy(): void;
}

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

/** `redis://user:secret@host` as `redis://user:***@host`: the URL goes into messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.href;
}

async function loadNodeRedis(): Promise<typeof CreateClient> {
  try {
    const module = await import("redis");
    return module.createClient;
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

/**
 * One node-redis connection to the fleet's Redis, every wait on it bounded: connecting and each
 * command fail with a one-line {@link CliError} after {@link REDIS_TIMEOUT}.
 */
export class RedisConnection {
  readonly #client: NodeRedisClient;
  readonly #url: string;
  readonly #signal: AbortSignal | undefined;
  #closed: Promise<void> | undefined;

  private constructor(client: NodeRedisClient, url: string, signal: AbortSignal | undefined) {
    this.#client = client;
    this.#url = url;
    this.#signal = signal;
  }

  /** Connects to `url` (loading node-redis first), or fails with a one-line reason. */
  static async open(url: string, options: ConnectOptions): Promise<RedisConnection> {
    const createClient = await loadNodeRedis();
    let connected = false;
    const client = createClient({
      url,
      disableClientInfo: true,
      socket: {
        connectTimeout: REDIS_TIMEOUT,
        reconnectStrategy: (retries, cause) =>
          connected && options.reconnect ? Math.min(100 * 2 ** retries, 2_000) : cause,
      },
    });
    // Errors also reach the commands (and the storages' outage reports); an unheard "error"
    // event would crash the process.
    client.on("error", () => undefined);
    const shown = redactUrl(url);
    try {
      await withDeadline(client.connect(), REDIS_TIMEOUT, `Redis at ${shown}`, options.signal);
    } catch (error) {
      client.destroy();
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot reach Redis at ${shown}: ${oneLine(error)}`);
    }
    connected = true;
    return new RedisConnection(client, shown, options.signal);
  }

  /** The client, for the storages (which never close it). */
  get client(): RedisClientLike {
    return this.#client;
  }

  /** The URL, its password hidden. */
  get url(): string {
    return this.#url;
  }

  /** Sends one command, bounded by {@link REDIS_TIMEOUT}; its failure is a {@link CliError}. */
  async command(args: string[]): Promise<unknown> {
    try {
      return await withDeadline(
        this.#client.sendCommand(args),
        REDIS_TIMEOUT,
        `Redis at ${this.#url} (${args[0] ?? ""})`,
        this.#signal,
      );
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`Redis at ${this.#url} failed ${args[0] ?? ""}: ${oneLine(error)}`);
    }
  }

  /**
   * Closes the connection once the commands already sent are answered (what the storages sent
   * lands), or at once after {@link REDIS_TIMEOUT}. Idempotent; never rejects.
   */
  close(): Promise<void> {
    this.#closed ??= withDeadline(this.#client.close(), REDIS_TIMEOUT, "closing").then(
      () => undefined,
      () => {
        this.#client.destroy();
      },
    );
    return this.#closed;
  }
}
