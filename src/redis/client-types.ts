/**
 * The clients {@link CircuitRedisStorage} accepts, described by the few members it uses, so that
 * a program with either client type-checks without this package depending on it (and without
 * `skipLibCheck`). node-redis 5 and 6 (`createClient`, `createCluster`) and ioredis 5 and 6
 * (`Redis`, `Cluster`) fit them.
 *
 * @module
 */

/** What the storage asks of a node-redis pub/sub duplicate (standalone or cluster). */
export interface NodeRedisSubscriberLike {
  /** Opens the duplicate's connection. */
  connect(): Promise<unknown>;
  /** Subscribes to one channel. */
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): unknown;
  /** Ends a channel's subscription. */
  unsubscribe(channel: string): unknown;
  /** Closes the duplicate at once (the storage's `close()`). */
  destroy(): unknown;
  /** The duplicate's connection errors, reported as an outage. */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** A node-redis client made by `createClient` (node-redis 5 or 6), connected by its owner. */
export interface NodeRedisClientLike {
  /** Whether commands go to the server now rather than into the offline queue. */
  readonly isReady: boolean;
  /** Sends one command (the storage's scripts). */
  sendCommand(args: string[]): Promise<unknown>;
  /** A new client with the same options, for pub/sub. */
  duplicate(): NodeRedisSubscriberLike;
}

/** A node-redis cluster made by `createCluster` (node-redis 5 or 6), connected by its owner. */
export interface NodeRedisClusterLike {
  /** Whether the cluster is connected (node-redis 5 has no `isReady` on a cluster). */
  readonly isOpen: boolean;
  /** The masters the cluster knows: how a cluster is told from a client. */
  readonly masters: readonly unknown[];
  /** Sends one command to the node of `firstKey`'s slot. */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  /** A new cluster client with the same options, for pub/sub. */
  duplicate(): NodeRedisSubscriberLike;
}

/** What the storage asks of an ioredis pub/sub duplicate (standalone or cluster). */
export interface IoRedisSubscriberLike {
  /** Subscribes to channels. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Ends channels' subscriptions. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** Closes the duplicate at once (the storage's `close()`). */
  disconnect(): void;
  /** The messages of every subscribed channel. */
  on(event: "message", listener: (channel: string, message: string) => void): unknown;
  /** The duplicate's connection errors, reported as an outage. */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** An ioredis `Redis` or `Cluster` (ioredis 5 or 6). */
export interface IoRedisClientLike {
  /** `"ready"` when commands go to the server now rather than into the offline queue. */
  readonly status: string;
  /** `true` for a `Cluster` (commands are routed by key either way). */
  readonly isCluster: boolean;
  /** Sends one command (the storage's scripts). */
  call(command: string, args: string[]): Promise<unknown>;
  /** A new connection with the same options, for pub/sub. */
  duplicate(): IoRedisSubscriberLike;
}

/** Any client the storage accepts. */
export type RedisClientLike = NodeRedisClientLike | NodeRedisClusterLike | IoRedisClientLike;
