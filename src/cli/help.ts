import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PREFIX, TOKEN_VARIABLE } from "./arguments.js";
import type { CommandName } from "./commands.js";
import { DEFAULT_SCAN_INTERVAL } from "./dashboard-command.js";
import { REDIS_TIMEOUT } from "./deadline.js";

const FLEET_OPTIONS = `  --redis URL     the fleet's Redis: redis://[user:password@]host:port[/db] or rediss://...;
                  a node of a Redis Cluster stands for the whole cluster
  --prefix P      the storages' key prefix (CircuitRedisStorage's prefix option; default "${DEFAULT_PREFIX}")`;

const COMMON = `  -h, --help      this help`;

const USAGE = `Usage:
  aiobreaker status [name] --redis URL [--prefix P] [--json]
  aiobreaker open|close|reset|force-open|disable|enable <name> --redis URL [--prefix P]
  aiobreaker dashboard --redis URL [--prefix P] [--port N] [--host H] [--token T]
  aiobreaker --help | <command> --help`;

const EXIT_CODES = `Exit status: 0 done; 1 failed (Redis unreachable or silent for ${String(REDIS_TIMEOUT / 1000)} s, unknown breaker,
a change that did not hold); 2 bad command line; 130 interrupted. Errors are one line on stderr.
Needs the redis package (node-redis 5 or 6) installed beside aiobreaker.`;

const STATUS = `aiobreaker status [name] --redis URL [--prefix P] [--json]

Shows the fleet's breakers as Redis holds them (reads only): one breaker, or every breaker
under the prefix (found with SCAN, on every master of a cluster). The table has the name, state, mode, consecutive failures,
when it opened, when the next trial is admitted, and the trial slots in use across the fleet.
Times are the Redis server's (UTC). A name with no state in Redis is an error.

  --json          JSON instead of the table: an object for one name, an array for all, with
                  name, state, mode, failCounter, successCounter, openedAt, openDuration,
                  retryAt, openAttempts, trialCalls, nextCallIsTrial (times: epoch ms)
${FLEET_OPTIONS}
${COMMON}`;

const OPERATE = `aiobreaker open|close|reset|force-open|disable|enable <name> --redis URL [--prefix P]

Acts on one breaker for the whole fleet, through the library itself: a CircuitRedisStorage and a
CircuitBreaker for the name, whose action every process hears by pub/sub. Prints the state
before and after. A name with no state in Redis is refused: nothing is created.

  open         open now (an open breaker's opening restarts); each process keeps it open
               for its own resetTimeout (or backoff), then admits a trial
  close        close, clearing the failure count (and a forced opening)
  reset        back to a fresh breaker: enabled, closed, counts cleared
  force-open   open with no trial call until enable or reset
  disable      every call runs and nothing trips, until enable
  enable       back to normal from disable or force-open, keeping the state

${FLEET_OPTIONS}
${COMMON}`;

const DASHBOARD = `aiobreaker dashboard --redis URL [--prefix P] [--port N] [--host H] [--token T]

Serves the live dashboard (aiobreaker/dashboard) for every breaker under the prefix, found with
SCAN every ${String(DEFAULT_SCAN_INTERVAL / 1000)} s (new breakers appear), each followed through a CircuitRedisStorage,
so its controls act on the whole fleet. Prints the page's URL; stops on SIGINT or SIGTERM. An
opening whose length each process takes from its own resetTimeout number is stored without
one: the page counts down the default 60 s for it, and shows the trial when the fleet makes it.

  --port N        the port to listen on (default ${String(DEFAULT_PORT)}; 0: any free port)
  --host H        the address to listen on (default ${DEFAULT_HOST})
  --token T       the bearer token the controls need (default: $${TOKEN_VARIABLE}); without one
                  the page is read-only and every control answers 403
${FLEET_OPTIONS}
${COMMON}`;

const GENERAL = `aiobreaker: operate circuit breakers that a fleet of processes shares through Redis
(aiobreaker/redis).

${USAGE}

Commands:
  status       show one breaker or every breaker under the prefix (a table, or --json)
  open, close, reset, force-open, disable, enable
               act on one breaker for every process of the fleet
  dashboard    serve the live dashboard of every breaker under the prefix

Options:
${FLEET_OPTIONS}
  --json          status: JSON instead of a table
  --port N, --host H, --token T
                  dashboard: where it listens and the token its controls need
${COMMON}

${EXIT_CODES}`;

/** The help of one command, or the general help. */
export function helpText(command: CommandName | undefined): string {
  const text =
    command === undefined
      ? GENERAL
      : command === "status"
        ? STATUS
        : command === "dashboard"
          ? DASHBOARD
          : OPERATE;
  return `${text}${command === undefined ? "" : `\n\n${EXIT_CODES}`}\n`;
}
