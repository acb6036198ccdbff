import type { CircuitBreakerMode, CircuitBreakerState } from "../index.js";

/** The fleet's state of one breaker as Redis holds it (times on the server's clock). */
export interface FleetState {
  /** One more on every published change: orders answers and messages. */
  readonly version: number;
  /** The fleet generation: one more on every change of state or mode. */
  readonly generation: number;
  /** The id of the change that made this generation ("" for none). */
  readonly changeId: string;
  readonly state: CircuitBreakerState;
  readonly mode: CircuitBreakerMode;
  readonly failCounter: number;
  readonly successCounter: number;
  /** Server ms, or `undefined`. */
  readonly openedAt: number | undefined;
  readonly openDuration: number | undefined;
  readonly openAttempts: number;
  /** Live trial leases. */
  readonly leases: number;
  /** Server ms of the last manual change (0: none). */
  readonly manualAt: number;
  /** The server's time when it answered. */
  readonly serverTime: number;
}

/** A script's answer: its kind, the state (unless missing), and what follows a `|`. */
export interface ScriptReply {
  readonly kind: string;
  readonly fleet: FleetState | undefined;
  readonly serverTime: number;
  readonly extra: string | undefined;
}

const STATES: ReadonlySet<string> = new Set(["closed", "open", "half-open"]);
const MODES: ReadonlySet<string> = new Set(["enabled", "disabled", "forced-open"]);

function optionalNumber(text: string): number | undefined {
  return text === "" ? undefined : Number(text);
}

/** Parses the state fields `v,g,cid,st,md,fc,sc,oa,od,at,leases,mt,now` (see lib.lua). */
export function parseFleetState(text: string): FleetState {
  const f = text.split(",");
  if (f.length !== 13) throw new Error(`unexpected state from Redis: ${JSON.stringify(text)}`);
  const [v, g, cid, st, md, fc, sc, oa, od, at, leases, mt, now] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!STATES.has(st) || !MODES.has(md)) {
    throw new Error(`unexpected state from Redis: ${JSON.stringify(text)}`);
  }
  return {
    version: Number(v),
    generation: Number(g),
    changeId: cid,
    state: st as CircuitBreakerState,
    mode: md as CircuitBreakerMode,
    failCounter: Number(fc),
    successCounter: Number(sc),
    openedAt: optionalNumber(oa),
    openDuration: optionalNumber(od),
    openAttempts: Number(at),
    leases: Number(leases),
    manualAt: Number(mt),
    serverTime: Number(now),
  };
}

/** Parses a script's reply `kind,<state>[|extra]` or `missing,<now>`. */
export function parseReply(reply: unknown): ScriptReply {
  const text = typeof reply === "string" ? reply : String(reply);
  const bar = text.indexOf("|");
  const head = bar === -1 ? text : text.slice(0, bar);
  const extra = bar === -1 ? undefined : text.slice(bar + 1);
  const comma = head.indexOf(",");
  const kind = head.slice(0, comma);
  const rest = head.slice(comma + 1);
  if (comma === -1) throw new Error(`unexpected reply from Redis: ${JSON.stringify(text)}`);
  if (kind === "missing") return { kind, fleet: undefined, serverTime: Number(rest), extra };
  const fleet = parseFleetState(rest);
  return { kind, fleet, serverTime: fleet.serverTime, extra };
}
