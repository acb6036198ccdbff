import { CircuitBreaker, CircuitBreakerMode, CircuitBreakerState } from "../index.js";
import { CircuitRedisStorage } from "../redis/index.js";
import { CliError, oneLine } from "./cli-error.js";
import { runControl } from "../dashboard/controls.js";
import type { FleetAddress, OperatorAction } from "./commands.js";
import type { CliContext } from "./context.js";
import { REDIS_TIMEOUT } from "./deadline.js";
import { RedisConnection } from "./redis-connection.js";
import { unknownBreaker } from "./status-command.js";
import { readBreaker, serverTime, type StoredBreaker } from "./stored-breakers.js";

const { CLOSED, OPEN } = CircuitBreakerState;
const { ENABLED, DISABLED, FORCED_OPEN } = CircuitBreakerMode;

/** What an operator command is asked. */
export interface OperatorRequest extends FleetAddress {
  readonly action: OperatorAction;
  readonly name: string;
}

/** Whether the fleet's state shows `action` done. */
function holds(action: OperatorAction, after: StoredBreaker): boolean {
  switch (action) {
    case "open":
      return after.state === OPEN;
    case "close":
      return after.state === CLOSED && after.mode !== FORCED_OPEN && after.failCounter === 0;
    case "reset":
      return after.state === CLOSED && after.mode === ENABLED && after.failCounter === 0;
    case "force-open":
      return after.state === OPEN && after.mode === FORCED_OPEN;
    case "disable":
      return after.mode === DISABLED;
    case "enable":
      return after.mode === ENABLED;
  }
}

/** Reports the first fault the storage or the breaker handed over, if any. */
function throwFirst(faults: readonly unknown[], what: string): void {
  if (faults.length !== 0) throw new CliError(`${what}: ${oneLine(faults[0])}`);
}

function describe(breaker: StoredBreaker): string {
  return `${breaker.state} (${breaker.mode})`;
}

/**
 * `aiobreaker open|close|reset|force-open|disable|enable <name>`: refuses a breaker with no state
 * in Redis (a typo must not create one); otherwise builds a `CircuitRedisStorage` and a
 * `CircuitBreaker` for it, waits for the storage's first load, calls the action (so every
 * process hears it by pub/sub, as from any member of the fleet), reads the state back and checks
 * that the change holds, then closes the storage.
 */
export async function runOperator(request: OperatorRequest, context: CliContext): Promise<void> {
  const { name, prefix, action } = request;
  const connection = await RedisConnection.open(request.redis, {
    reconnect: false,
    signal: context.signal,
  });
  try {
    const before = await readBreaker(connection, prefix, name, await serverTime(connection));
    if (before === undefined) throw unknownBreaker(name, prefix, connection.url);
    const faults: unknown[] = [];
    const storage = new CircuitRedisStorage(connection.client, {
      name,
      prefix,
      commandTimeout: REDIS_TIMEOUT,
      onOutage: (error) => faults.push(error),
      onRecovery: () => undefined,
    });
    try {
      await storage.ready;
      throwFirst(faults, `Redis at ${connection.url} did not answer`);
      // A number resetTimeout (the default) records no length with an opening: each process
      // of the fleet keeps it open for its own resetTimeout (or backoff).
      const breaker = new CircuitBreaker({
        name,
        storage,
        onListenerError: (error) => faults.push(error),
      });
      runControl(breaker, action);
      // Redis answers one connection's commands in order: this read follows the change sent.
      const after = await readBreaker(connection, prefix, name, await serverTime(connection));
      throwFirst(faults, `${name}: ${action} failed`);
      if (after === undefined) throw unknownBreaker(name, prefix, connection.url);
      if (!holds(action, after)) {
        throw new CliError(
          `${name}: ${action} did not hold: Redis shows ${describe(after)} with ${String(after.failCounter)} failures (another process changed it since?)`,
        );
      }
      context.stdout.write(`${name}: ${describe(before)} -> ${describe(after)}\n`);
    } finally {
      await storage.close();
    }
  } finally {
    await connection.close();
  }
}
