import { CircuitBreakerMonitor, describeValue } from "../index.js";

/** What {@link createDashboard} takes. */
export interface DashboardOptions {
  /** The breakers to show: every breaker in this monitor, including those registered later. */
  monitor: CircuitBreakerMonitor;
  /**
   * The secret a control request must present as `Authorization: Bearer <token>`: visible ASCII,
   * no spaces. Without it the page is read-only and every control answers 403.
   */
  token?: string | undefined;
  /**
   * The path the handler is mounted under when the server hands it the full path (plain
   * `node:http`, a Fastify route that hijacks the reply), e.g. `"/breakers"`: requests outside
   * it answer 404. Leave it out where the framework strips the mount path from `req.url`
   * (Express's `app.use("/breakers", handler)`).
   */
  basePath?: string | undefined;
  /**
   * Milliseconds between the pushes every event stream gets when nothing changes (integer,
   * 10 to 2 147 483 647; default 2 000). Changes are pushed as they happen, whatever this is.
   */
  heartbeat?: number | undefined;
}

/** Options checked, defaults filled in. */
export interface DashboardSettings {
  readonly monitor: CircuitBreakerMonitor;
  readonly token: string | undefined;
  readonly basePath: string;
  readonly heartbeat: number;
}

const optionNames: ReadonlySet<string> = new Set(["monitor", "token", "basePath", "heartbeat"]);
const MAX_TIMER_DELAY = 2_147_483_647;

/** Checks {@link DashboardOptions}; every bad value is an error naming the option and the value. */
export function readDashboardOptions(options: unknown): DashboardSettings {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `createDashboard expects { monitor, token?, basePath?, heartbeat? }, got ${describeValue(options)}`,
    );
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!optionNames.has(key)) {
      throw new TypeError(
        `createDashboard: unknown option ${JSON.stringify(key)}; it takes ${[...optionNames].join(", ")}`,
      );
    }
  }
  const { monitor, token, basePath, heartbeat } = given;
  if (!(monitor instanceof CircuitBreakerMonitor)) {
    throw new TypeError(
      `createDashboard: monitor must be a CircuitBreakerMonitor, got ${describeValue(monitor)}`,
    );
  }
  return {
    monitor,
    token: readToken(token),
    basePath: readBasePath(basePath),
    heartbeat: readHeartbeat(heartbeat),
  };
}

function readToken(token: unknown): string | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== "string" || token === "") {
    throw new TypeError(
      `createDashboard: token must be a non-empty string (or left out for a read-only page), got ${describeValue(token)}`,
    );
  }
  // An HTTP header cannot carry the rest faithfully: such a token could never be presented.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new TypeError(
      "createDashboard: token must be visible ASCII characters with no spaces " +
        "(it travels in an Authorization header)",
    );
  }
  return token;
}

function readBasePath(basePath: unknown): string {
  if (basePath === undefined) return "";
  if (
    typeof basePath !== "string" ||
    !/^\/[^?#]*$/.test(basePath) ||
    (basePath.length > 1 && basePath.endsWith("/"))
  ) {
    throw new TypeError(
      `createDashboard: basePath must be a path such as "/breakers" (a leading "/", no trailing "/", no "?" or "#"), got ${describeValue(basePath)}`,
    );
  }
  return basePath === "/" ? "" : basePath;
}

function readHeartbeat(heartbeat: unknown): number {
  if (heartbeat === undefined) return 2_000;
  if (typeof heartbeat !== "number" || !Number.isInteger(heartbeat)) {
    throw new TypeError(
      `createDashboard: heartbeat must be an integer number of ms, got ${describeValue(heartbeat)}`,
    );
  }
  if (heartbeat < 10 || heartbeat > MAX_TIMER_DELAY) {
    throw new RangeError(
      `createDashboard: heartbeat must be from 10 to ${String(MAX_TIMER_DELAY)} ms, got ${String(heartbeat)}`,
    );
  }
  return heartbeat;
}
