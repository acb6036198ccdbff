import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs an example as a user would (it imports "aiobreaker": the built package). */
function runExample(file: string): { status: number | null; lines: string[]; stderr: string } {
  if (!existsSync(`${root}dist/index.js`)) {
    throw new Error("the examples run on the built package: npm run build first");
  }
  const result = spawnSync(process.execPath, [file], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return {
    status: result.status,
    lines: result.stdout.trimEnd().split("\n"),
    stderr: result.stderr,
  };
}

describe("examples", () => {
  it("retry-with-p-retry.js waits for the breaker's trial, and gives up on a long opening", () => {
    const { status, lines, stderr } = runExample("examples/retry-with-p-retry.js");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    // The breaker's own messages are the core's to word; the steps are the recipe's.
    const steps = lines.map((line) => line.replace(/^( {2}attempt \d+): .*$/, "$1"));
    expect(steps).toEqual([
      "recovers: the breaker opens for 200 ms, the retries wait for its trial",
      "  attempt 1",
      "  [inventory] closed -> open",
      "  attempt 2",
      "  [inventory] open -> half-open",
      "  [inventory] half-open -> open",
      "  attempt 3",
      "  [inventory] open -> half-open",
      "  [inventory] half-open -> closed",
      "  result: inventory: 42 in stock",
      "gives up: the breaker opens for 60 s, longer than the retries will wait",
      "  attempt 1",
      "  [pricing] closed -> open",
      "  gave up: CircuitBreakerError (open); it tripped on: pricing is down (call 2)",
    ]);
  });
});
