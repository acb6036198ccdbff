import type { Clock } from "../index.js";
import { describeValue } from "../index.js";

/** Options of {@link CircuitRedisStorage}. */
export interface CircuitRedisStorageOptions {
  /** The breaker's name: processes with the same `name` and `prefix` share one breaker. */
  name: string;
  /** The first part of every key and channel. Default `"aiobreaker"`. */
  prefix?: string | undefined;
  /**
   * Milliseconds a background command may take before it counts as an outage (the storage then
   * goes on as a local breaker until Redis answers again), and the longest a trial call waits
   * for the fleet's lease. Default 1 000.
   */
  commandTimeout?: number | undefined;
  /**
   * Milliseconds between two resyncs: a read of the fleet's state that catches what a lost
   * message missed, renews this process's trial leases, sends the batched window successes,
   * writes the state back to a Redis that lost it, and probes Redis during an outage. Default
   * 1 000 (one command a second per breaker at rest, two with a shared window in use).
   */
  resyncInterval?: number | undefined;
  /**
   * Milliseconds a trial lease lasts when the breaker sets no `halfOpenTimeout`: a process that
   * dies holding one frees it after this long. Live holders renew theirs at every resync.
   * Default 30 000.
   */
  leaseTimeout?: number | undefined;
  /**
   * The clock of the breakers over this storage (pass the same one as the breaker's `clock`
   * when you inject one): the local scale every time is reported on. Default `Date.now()`.
   */
  clock?: Clock | undefined;
  /**
   * Called once when Redis stops answering (an error, a reply slower than `commandTimeout`, or
   * the client not ready): from then on the storage acts as a local breaker over its mirror.
   * Default: `console.error` with the breaker's name.
   */
  onOutage?: ((error: unknown) => void) | undefined;
  /**
   * Called once when Redis answers again and the fleet's state is merged back (see the README's
   * merge rule). Default: `console.error` with the breaker's name.
   */
  onRecovery?: (() => void) | undefined;
}

/** The options with every default applied. */
export interface RedisStorageSettings {
  readonly name: string;
  readonly prefix: string;
  readonly commandTimeout: number;
  readonly resyncInterval: number;
  readonly leaseTimeout: number;
  readonly clock: Clock;
  readonly onOutage: (error: unknown) => void;
  readonly onRecovery: () => void;
}

const KNOWN: ReadonlySet<string> = new Set([
  "name",
  "prefix",
  "commandTimeout",
  "resyncInterval",
  "leaseTimeout",
  "clock",
  "onOutage",
  "onRecovery",
]);

const systemClock: Clock = { now: () => Date.now() };

function positive(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `CircuitRedisStorage ${option} must be a finite number of milliseconds > 0, got ${describeValue(value)} (${typeof value})`,
    );
  }
  if (!Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    throw new RangeError(
      `CircuitRedisStorage ${option} must be a finite number of milliseconds > 0 and <= 2147483647, got ${describeValue(value)}`,
    );
  }
  return value;
}

function callback<T>(option: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") {
    throw new TypeError(
      `CircuitRedisStorage ${option} must be a function, got ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** Checks the options (every bad one is a `TypeError` or `RangeError` naming it). */
export function resolveOptions(options: unknown): RedisStorageSettings {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `CircuitRedisStorage options must be an object with a name, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(
        `CircuitRedisStorage got an unknown option ${JSON.stringify(key)} (known: ${[...KNOWN].join(", ")})`,
      );
    }
  }
  const given = options as CircuitRedisStorageOptions;
  const name: unknown = given.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `CircuitRedisStorage name must be a non-empty string, got ${describeValue(name)}`,
    );
  }
  const prefix: unknown = given.prefix ?? "aiobreaker";
  if (typeof prefix !== "string" || prefix === "") {
    throw new TypeError(
      `CircuitRedisStorage prefix must be a non-empty string, got ${describeValue(prefix)}`,
    );
  }
  const clock: unknown = given.clock ?? systemClock;
  if (typeof clock !== "object" || clock === null || typeof (clock as Clock).now !== "function") {
    throw new TypeError(
      `CircuitRedisStorage clock must be an object with a now() method, got ${describeValue(clock)}`,
    );
  }
  return {
    name,
    prefix,
    commandTimeout: positive("commandTimeout", given.commandTimeout, 1_000),
    resyncInterval: positive("resyncInterval", given.resyncInterval, 1_000),
    leaseTimeout: positive("leaseTimeout", given.leaseTimeout, 30_000),
    clock: clock as Clock,
    onOutage: callback("onOutage", given.onOutage, (error: unknown) => {
      console.error(
        `aiobreaker/redis "${name}": Redis unreachable, going on as a local breaker:`,
        error,
      );
    }),
    onRecovery: callback("onRecovery", given.onRecovery, () => {
      console.error(
        `aiobreaker/redis "${name}": Redis reachable again, state merged with the fleet`,
      );
    }),
  };
}
