import { CliError } from "./cli-error.js";
import type { FleetAddress } from "./commands.js";
import type { CliContext } from "./context.js";
import { RedisConnection } from "./redis-connection.js";
import { formatTable } from "./status-format.js";
import {
  readBreaker,
  scanBreakerNames,
  serverTime,
  type StoredBreaker,
} from "./stored-breakers.js";

/** Breakers read at once: bounds the commands in flight whatever the fleet's size. */
const BATCH = 200;

/** What `status` is asked. */
export interface StatusRequest extends FleetAddress {
  readonly name: string | undefined;
  readonly json: boolean;
}

/** The error for a name with nothing stored under the prefix. */
export function unknownBreaker(name: string, prefix: string, url: string): CliError {
  return new CliError(
    `no breaker named ${JSON.stringify(name)} under prefix ${JSON.stringify(prefix)} at ${url}`,
  );
}

async function readAll(
  connection: RedisConnection,
  prefix: string,
  now: number,
): Promise<StoredBreaker[]> {
  const names = await scanBreakerNames(connection, prefix);
  const breakers: StoredBreaker[] = [];
  for (let start = 0; start < names.length; start += BATCH) {
    const read = await Promise.all(
      names.slice(start, start + BATCH).map((name) => readBreaker(connection, prefix, name, now)),
    );
    // A breaker deleted between the scan and the read is no longer there to show.
    for (const breaker of read) if (breaker !== undefined) breakers.push(breaker);
  }
  return breakers;
}

/**
 * `aiobreaker status [name]`: reads the fleet's state from Redis (never writes) and prints a
 * table, or JSON (an object for one name, an array of every breaker under the prefix).
 */
export async function runStatus(request: StatusRequest, context: CliContext): Promise<void> {
  const connection = await RedisConnection.open(request.redis, {
    reconnect: false,
    signal: context.signal,
  });
  try {
    const now = await serverTime(connection);
    let breakers: StoredBreaker[];
    if (request.name === undefined) {
      breakers = await readAll(connection, request.prefix, now);
    } else {
      const breaker = await readBreaker(connection, request.prefix, request.name, now);
      if (breaker === undefined) throw unknownBreaker(request.name, request.prefix, connection.url);
      breakers = [breaker];
    }
    if (request.json) {
      const document = request.name === undefined ? breakers : breakers[0];
      context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else if (breakers.length === 0) {
      context.stdout.write(
        `no breakers under prefix ${JSON.stringify(request.prefix)} at ${connection.url}\n`,
      );
    } else {
      context.stdout.write(`${formatTable(breakers, now)}\n`);
    }
  } finally {
    await connection.close();
  }
}
