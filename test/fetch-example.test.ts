import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

describe("examples/fetch.js, the README's fetch example", () => {
  beforeAll(async () => {
    if (!existsSync(`${root}dist/index.js`)) await run("npm", ["run", "build"], { cwd: root });
  }, 120_000);

  it("trips on 503s, falls back while open, times out a hanging trial, then recovers", async () => {
    const { stdout } = await run(process.execPath, ["examples/fetch.js"], {
      cwd: root,
      timeout: 60_000,
    });
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 6)).toEqual([
      "call 1: items: apples, pears",
      "call 2: items: apples, pears",
      "call 3: HTTP 503 (counted as a failure)",
      "call 4: HTTP 503 (counted as a failure)",
      "  [inventory] closed -> open",
      "call 5: HTTP 503 (counted as a failure)",
    ]);
    expect(lines).toContain("call 6: fallback: no items (stale)");
    expect(lines).toContain("  [inventory] half-open -> closed");
    expect(lines).toContain("call 10: items: apples, pears");
    const stats = JSON.parse(lines.at(-1)?.replace("stats: ", "") ?? "{}") as Record<
      string,
      number
    >;
    expect(stats).toMatchObject({ calls: 10, failures: 3, timeouts: 1, rejections: 1 });
  }, 60_000);
});
