// examples/fleet.js (npm run demo:fleet): 4 worker processes, each with its own breaker over one
// CircuitRedisStorage, in front of a dependency that goes down and recovers. Its summary counts
// the requests that reached the dependency; the bounds are the fleet's, not timings.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { buildIfMissing, root } from "./cli-support.js";

const run = promisify(execFile);
const WORKERS = 4;
const FAIL_MAX = 5;

function count(lines: readonly string[], label: string): number {
  const line = lines.find((candidate) => candidate.startsWith(`${label}: `));
  if (line === undefined) throw new Error(`no "${label}" line in the summary`);
  return Number(/^[^:]+: (\d+)/.exec(line)?.[1]);
}

describe("examples/fleet.js", () => {
  beforeAll(buildIfMissing, 120_000);

  it("stops the fleet at about failMax, then lets exactly one trial through to recover", async () => {
    const { stdout, stderr } = await run(process.execPath, ["examples/fleet.js"], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stderr).toBe("");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^fleet: redis-server at redis:\/\/127\.0\.0\.1:\d+, 4 workers/);
    const summary = lines.slice(lines.indexOf("summary:") + 1);
    // failMax, plus the calls in flight when it trips (one per worker), plus at most one more
    // per worker while the news travels; independent breakers would let 4 x failMax through.
    const beforeTrip = count(
      summary,
      "requests that reached the dependency while down, before the fleet tripped",
    );
    expect(beforeTrip).toBeGreaterThanOrEqual(FAIL_MAX);
    expect(beforeTrip).toBeLessThanOrEqual(FAIL_MAX + 2 * WORKERS);
    expect(beforeTrip).toBeLessThan(WORKERS * FAIL_MAX);
    // One trial at a time across the fleet, each failing and re-opening while it is down.
    expect(count(summary, "trial requests while down")).toBeGreaterThanOrEqual(1);
    expect(count(summary, "trial requests during recovery")).toBe(1);
    expect(summary).toContain(
      `workers that saw the trip: ${String(WORKERS)} of ${String(WORKERS)}`,
    );
    expect(summary).toContain(
      `workers that saw the recovery: ${String(WORKERS)} of ${String(WORKERS)}`,
    );
    for (let id = 1; id <= WORKERS; id++) {
      expect(lines.some((line) => line.endsWith(`worker ${String(id)}: closed -> open`))).toBe(
        true,
      );
      expect(lines.some((line) => line.endsWith(`worker ${String(id)}: half-open -> closed`))).toBe(
        true,
      );
    }
  }, 60_000);
});
