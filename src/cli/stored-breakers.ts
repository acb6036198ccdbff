import { CircuitBreakerMode, CircuitBreakerState } from "../index.js";
import { CliError } from "./cli-error.js";
import { leasesKey, nameOfStateKey, stateKey, statePattern } from "./fleet-keys.js";
import type { RedisConnection } from "./redis-connection.js";

/**
 * One breaker as the fleet holds it in Redis. Times are epoch ms on the Redis server's clock
 * (the clock the fleet decides by); `null` where there is none.
 */
export interface StoredBreaker {
  readonly name: string;
  readonly state: CircuitBreakerState;
  readonly mode: CircuitBreakerMode;
  /** Consecutive failures (closed), or failures so far (half-open). */
  readonly failCounter: number;
  /** Trial successes in half-open. */
  readonly successCounter: number;
  readonly openedAt: number | null;
  /** How long the current opening lasts; `null` when each process uses its `resetTimeout`. */
  readonly openDuration: number | null;
  /** When the next trial is admitted (open, with a recorded duration). */
  readonly retryAt: number | null;
  /** Openings in a row (the backoff's attempt). */
  readonly openAttempts: number;
  /** Live trial leases: trial calls running across the fleet. */
  readonly trialCalls: number;
  /** Open, enabled, and `retryAt` has passed: the fleet's next call is a trial. */
  readonly nextCallIsTrial: boolean;
}

const STATES: ReadonlySet<string> = new Set(Object.values(CircuitBreakerState));
const MODES: ReadonlySet<string> = new Set(Object.values(CircuitBreakerMode));

/** The Redis server's time, epoch ms. */
export async function serverTime(connection: RedisConnection): Promise<number> {
  const reply = (await connection.command(["TIME"])) as [string, string];
  return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}

/**
 * The names of every breaker under `prefix`, sorted, found with `SCAN` on every master (never
 * `KEYS`, which blocks the server), in batches of `COUNT 500`.
 */
export async function scanBreakerNames(
  connection: RedisConnection,
  prefix: string,
): Promise<string[]> {
  const pattern = statePattern(prefix);
  // SCAN may return a key more than once.
  const names = new Set<string>();
  for (const send of await connection.masters()) {
    let cursor = "0";
    do {
      const reply = (await send(["SCAN", cursor, "MATCH", pattern, "COUNT", "500"])) as [
        string,
        string[],
      ];
      cursor = reply[0];
      for (const key of reply[1]) {
        const name = nameOfStateKey(prefix, key);
        if (name !== undefined) names.add(name);
      }
    } while (cursor !== "0");
  }
  return [...names].sort();
}

function count(text: string | null): number {
  const value = Number(text ?? 0);
  return Number.isFinite(value) ? value : 0;
}

function time(text: string | null): number | null {
  if (text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * The breaker `name` under `prefix` as Redis holds it at server time `now`, or `undefined` when
 * nothing is stored for it. Reads only.
 */
export async function readBreaker(
  connection: RedisConnection,
  prefix: string,
  name: string,
  now: number,
): Promise<StoredBreaker | undefined> {
  const key = stateKey(prefix, name);
  const [fields, leases] = await Promise.all([
    connection.command(["HMGET", key, "g", "st", "md", "fc", "sc", "oa", "od", "at"], key),
    // Expired leases stay until a script drops them: count the live ones only.
    connection.command(["ZCOUNT", leasesKey(prefix, name), `(${String(now)}`, "+inf"], key),
  ]);
  type Field = string | null;
  const [generation, state, mode, fc, sc, oa, od, at] = fields as [
    Field,
    Field,
    Field,
    Field,
    Field,
    Field,
    Field,
    Field,
  ];
  if (generation === null) return undefined;
  const st = state ?? "closed";
  const md = mode ?? "enabled";
  if (!STATES.has(st) || !MODES.has(md)) {
    throw new CliError(
      `unexpected breaker state at ${key}: state ${JSON.stringify(st)}, mode ${JSON.stringify(md)}`,
    );
  }
  const open = st === CircuitBreakerState.OPEN;
  const openedAt = open || st === CircuitBreakerState.HALF_OPEN ? time(oa) : null;
  const openDuration = open ? time(od) : null;
  const retryAt = openedAt !== null && openDuration !== null ? openedAt + openDuration : null;
  return {
    name,
    state: st as CircuitBreakerState,
    mode: md as CircuitBreakerMode,
    failCounter: count(fc),
    successCounter: count(sc),
    openedAt,
    openDuration,
    retryAt,
    openAttempts: count(at),
    trialCalls: Number(leases),
    nextCallIsTrial:
      open &&
      md === CircuitBreakerMode.ENABLED &&
      // Open with no opening time: the core's rule makes the next call a trial.
      (openedAt === null || (retryAt !== null && retryAt <= now)),
  };
}
