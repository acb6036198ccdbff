import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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
    expect(lines).toEqual([
      "recovers: the breaker opens for 200 ms, the retries wait for its trial",
      "  [inventory] failure: inventory is down (call 1)",
      "  [inventory] failure: inventory is down (call 2)",
      "  [inventory] closed -> open",
      "  [inventory] open -> half-open",
      "  [inventory] failure: inventory is down (call 3)",
      "  [inventory] half-open -> open",
      "  [inventory] open -> half-open",
      "  [inventory] half-open -> closed",
      "  result: inventory: 42 in stock",
      "gives up: the breaker opens for 60 s, longer than the retries will wait",
      "  [pricing] failure: pricing is down (call 1)",
      "  [pricing] failure: pricing is down (call 2)",
      "  [pricing] closed -> open",
      "  gave up with CircuitBreakerError, state open, cause: pricing is down (call 2)",
    ]);
  });

  it("docs/recipes.md shows the retry helper exactly as the example runs it", () => {
    const example = readFileSync(`${root}examples/retry-with-p-retry.js`, "utf8");
    const recipes = readFileSync(`${root}docs/recipes.md`, "utf8");
    const helper = /```js\n(import pRetry[\s\S]*?)```/.exec(recipes)?.[1];
    expect(helper).toContain("export function retryThroughBreaker");
    expect(example).toContain(helper);
  });
});
