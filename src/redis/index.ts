export { CircuitRedisStorage } from "./circuit-redis-storage.js";
export type { CircuitRedisStorageOptions } from "./options.js";
export { RedisCommandTimeoutError } from "./command-timeout.js";
export type {
  IoRedisClientLike,
  IoRedisSubscriberLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisSubscriberLike,
  RedisClientLike,
} from "./client-types.js";
