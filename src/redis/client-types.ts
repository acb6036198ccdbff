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
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): unknown;
  unsubscribe(channel: string): unknown;
  destroy(): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** A node-redis client made by `createClient` (node-redis 5 or 6), connected by its owner. */
export interface NodeRedisClientLike {
  /** Whether commands go to the server now rather than into the offline queue. */
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisSubscriberLike;
}

/** A node-redis cluster made by `createCluster` (node-redis 5 or 6), connected by its owner. */
export interface NodeRedisClusterLike {
  readonly isOpen: boolean;
  /** The masters the cluster knows: how a cluster is told from a client. */
  readonly masters: readonly unknown[];
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  duplicate(): NodeRedisSubscriberLike;
}

/** What the storage asks of an ioredis pub/sub duplicate (standalone or cluster). */
export interface IoRedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  disconnect(): void;
  on(event: "message", listener: (channel: string, message: string) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** An ioredis `Redis` or `Cluster` (ioredis 5 or 6). */
export interface IoRedisClientLike {
  /** `"ready"` when commands go to the server now rather than into the offline queue. */
  readonly status: string;
  readonly isCluster: boolean;
  call(command: string, args: string[]): Promise<unknown>;
  duplicate(): IoRedisSubscriberLike;
}

/** Any client the storage accepts. */
export type RedisClientLike = NodeRedisClientLike | NodeRedisClusterLike | IoRedisClientLike;
