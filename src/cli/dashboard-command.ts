import { createServer, type Server } from "node:http";
import { createDashboard } from "../dashboard/index.js";
import { CliError, oneLine } from "./cli-error.js";
import type { FleetAddress } from "./commands.js";
import type { CliContext } from "./context.js";
import { FleetMonitor } from "./fleet-monitor.js";
import { RedisConnection } from "./redis-connection.js";

/** Milliseconds between two scans for new breakers. */
export const DEFAULT_SCAN_INTERVAL = 3_000;

/** What `dashboard` is asked. */
export interface DashboardRequest extends FleetAddress {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error) => {
      reject(new CliError(`cannot listen on ${host}:${String(port)}: ${oneLine(error)}`));
    });
    server.listen(port, host, () => {
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** The page's URL for a server listening on `host`:`port` (an IPv6 address in brackets). */
export function pageUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${String(port)}/`;
}

function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) resolve();
    else
      signal?.addEventListener(
        "abort",
        () => {
          resolve();
        },
        { once: true },
      );
  });
}

/**
 * `aiobreaker dashboard`: serves `aiobreaker/dashboard` over a breaker for every breaker under
 * the prefix (scanned every few seconds), each over a `CircuitRedisStorage`, so its controls act
 * on the whole fleet; `--token` enables them (without it they answer 403). Runs until the
 * context's signal aborts (SIGINT, SIGTERM), then ends the event streams, the server, the
 * storages and the connection.
 */
export async function runDashboard(request: DashboardRequest, context: CliContext): Promise<void> {
  const connection = await RedisConnection.open(request.redis, {
    reconnect: true,
    signal: context.signal,
  });
  const report = (line: string): void => {
    context.stderr.write(`aiobreaker dashboard: ${line}\n`);
  };
  const fleet = new FleetMonitor(connection, request.prefix, report);
  try {
    await fleet.refresh();
    const dashboard = createDashboard({ monitor: fleet.monitor, token: request.token });
    const server = createServer(dashboard);
    try {
      const port = await listen(server, request.port, request.host);
      fleet.start(context.scanInterval ?? DEFAULT_SCAN_INTERVAL);
      context.stdout.write(
        `aiobreaker dashboard: ${pageUrl(request.host, port)} (${String(fleet.size)} breakers under prefix ${JSON.stringify(request.prefix)} at ${connection.url}; ${request.token === undefined ? "read-only: no --token" : "controls need the token"})\n`,
      );
      await stopped(context.signal);
    } finally {
      dashboard.close();
      const closed = new Promise((resolve) => server.close(resolve));
      // Keep-alive connections would hold the server open.
      server.closeAllConnections();
      await closed;
    }
  } finally {
    await fleet.close();
    await connection.close();
  }
}
