import type {
  IoRedisClientLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisSubscriberLike,
  RedisClientLike,
} from "./client-types.js";

/** The pub/sub side: a connection of its own, duplicated from the user's client. */
export interface Subscriber {
  /** Subscribes to `channel`; resolves once the server confirmed it. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Ends the duplicated connection at once. */
  close(): void;
}

/** One client, whatever its driver, as the storage uses it. */
export interface RedisConnection {
  /** The client object it wraps (the key under which storages share a subscriber). */
  readonly client: object;
  /**
   * Whether a command sent now reaches the server (rather than waiting in the client's offline
   * queue to land, stale, after a reconnect).
   */
  readonly ready: boolean;
  /** Sends one command; `key` routes it in a cluster. */
  send(key: string, args: string[]): Promise<unknown>;
  /** Duplicates the client for pub/sub; the caller owns (and closes) the duplicate. */
  openSubscriber(onError: (error: unknown) => void): Subscriber;
}

/**
 * Wraps `client` after recognising its driver by shape, or returns `undefined` when it is none
 * of the supported clients.
 */
export function connect(client: RedisClientLike): RedisConnection | undefined {
  const candidate = client as unknown as Record<string, unknown>;
  if (typeof candidate["call"] === "function" && typeof candidate["status"] === "string") {
    return typeof candidate["duplicate"] === "function"
      ? ioRedisConnection(client as IoRedisClientLike)
      : undefined;
  }
  if (
    typeof candidate["sendCommand"] !== "function" ||
    typeof candidate["duplicate"] !== "function"
  ) {
    return undefined;
  }
  if (Array.isArray(candidate["masters"])) {
    return nodeRedisClusterConnection(client as NodeRedisClusterLike);
  }
  if (typeof candidate["isReady"] === "boolean") {
    return nodeRedisConnection(client as NodeRedisClientLike);
  }
  return undefined;
}

function nodeRedisConnection(client: NodeRedisClientLike): RedisConnection {
  return {
    client,
    get ready() {
      return client.isReady;
    },
    send: (_key, args) => client.sendCommand(args),
    openSubscriber: (onError) => nodeRedisSubscriber(client.duplicate(), onError),
  };
}

function nodeRedisClusterConnection(client: NodeRedisClusterLike): RedisConnection {
  return {
    client,
    get ready() {
      // node-redis 6 says whether the cluster is ready; 5 only whether it is open.
      const isReady = (client as { readonly isReady?: unknown }).isReady;
      return typeof isReady === "boolean" ? isReady : client.isOpen;
    },
    send: (key, args) => client.sendCommand(key, false, args),
    openSubscriber: (onError) => nodeRedisSubscriber(client.duplicate(), onError),
  };
}

function nodeRedisSubscriber(
  duplicate: NodeRedisSubscriberLike,
  onError: (error: unknown) => void,
): Subscriber {
  duplicate.on("error", onError);
  const connected = duplicate.connect();
  // A connection that never comes up is reported through onError by the client itself.
  connected.catch(onError);
  return {
    async subscribe(channel, onMessage) {
      await connected;
      await duplicate.subscribe(channel, (message) => {
        onMessage(message);
      });
    },
    async unsubscribe(channel) {
      await connected;
      await duplicate.unsubscribe(channel);
    },
    close() {
      duplicate.destroy();
    },
  };
}

function ioRedisConnection(client: IoRedisClientLike): RedisConnection {
  return {
    client,
    get ready() {
      return client.status === "ready";
    },
    send: (_key, args) => client.call(args[0] as string, args.slice(1)),
    openSubscriber(onError) {
      const duplicate = client.duplicate();
      const routes = new Map<string, (message: string) => void>();
      duplicate.on("error", onError);
      duplicate.on("message", (channel, message) => {
        routes.get(channel)?.(message);
      });
      return {
        async subscribe(channel, onMessage) {
          routes.set(channel, onMessage);
          await duplicate.subscribe(channel);
        },
        async unsubscribe(channel) {
          routes.delete(channel);
          await duplicate.unsubscribe(channel);
        },
        close() {
          duplicate.disconnect();
        },
      };
    },
  };
}
