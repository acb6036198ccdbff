import type { StoredBreaker } from "./stored-breakers.js";

const HEADERS = ["NAME", "STATE", "MODE", "FAILURES", "OPENED AT", "RETRY AT", "TRIALS"] as const;

/** A name as shown in a table: quoted when it holds spaces or control characters. */
function shownName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[^\s\x00-\x1f\x7f"]+$/.test(name) ? name : JSON.stringify(name);
}

/** `2025-06-01 10:00:00Z`: server time, to the second. */
export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

function formatRetry(breaker: StoredBreaker, now: number): string {
  if (breaker.state !== "open") return "-";
  if (breaker.mode === "forced-open") return "none (forced open)";
  if (breaker.retryAt === null) {
    return breaker.nextCallIsTrial ? "due" : "per resetTimeout";
  }
  const seconds = Math.ceil((breaker.retryAt - now) / 1000);
  return `${formatTime(breaker.retryAt)} (${seconds > 0 ? `in ${String(seconds)} s` : "due"})`;
}

/** The columns of one breaker's row. */
function row(breaker: StoredBreaker, now: number): string[] {
  return [
    shownName(breaker.name),
    breaker.state,
    breaker.mode,
    String(breaker.failCounter),
    breaker.openedAt === null ? "-" : formatTime(breaker.openedAt),
    formatRetry(breaker, now),
    String(breaker.trialCalls),
  ];
}

/**
 * The status table: a header and a row per breaker (name, state, mode, consecutive failures,
 * opened at, retry at, trial slots in use), columns padded to their widest cell; times are the
 * Redis server's, `now` included.
 */
export function formatTable(breakers: readonly StoredBreaker[], now: number): string {
  const rows = [[...HEADERS], ...breakers.map((breaker) => row(breaker, now))];
  const widths = HEADERS.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] as string).length)),
  );
  return rows
    .map((cells) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
