// The `aiobreaker` command against a real redis-server: the built bin as a child process, and the
// same command lines through runCli in this process. Breakers of the test's own, each over its
// own client and CircuitRedisStorage, play the rest of the fleet and must hear every change.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreakerMode, CircuitBreakerState } from "../src/index.js";
import { freePort, RedisServer } from "./support/redis-server.js";
import { until, uniqueName } from "./redis/fixtures.js";
import {
  buildIfMissing,
  cli,
  fail,
  inProcess,
  member,
  root,
  runners,
  type Member,
} from "./cli-support.js";

let redis: RedisServer;
const members: Member[] = [];

beforeAll(async () => {
  await buildIfMissing();
  redis = await RedisServer.start();
}, 120_000);

afterEach(async () => {
  for (const one of members.splice(0)) await one.close();
});

afterAll(async () => {
  await redis.stop();
});

async function join_(name: string, prefix: string, failMax = 2): Promise<Member> {
  const one = await member(redis.url, name, prefix, { failMax, resetTimeout: 60_000 });
  members.push(one);
  return one;
}

describe.each(runners)("%s", (_, run, child) => {
  it("status: a table of every breaker under the prefix, and JSON of one or all", async () => {
    const prefix = uniqueName("status");
    const payments = await join_("payments", prefix);
    const inventory = await join_("inventory", prefix);
    const odd = await join_("odd {name} 100%", prefix);
    await fail(payments.breaker, 2);
    await fail(inventory.breaker, 1);
    odd.breaker.forceOpen();
    // A key that only looks like a breaker's, and a breaker under another prefix: not listed.
    await redis.cli("HSET", `${prefix}:{x}:junk:{y}:s`, "g", "1");
    await join_("elsewhere", `${prefix}-other`);
    await until(() => inventory.storage.failCounter === 1 && odd.storage.mode === "forced-open");
    await new Promise((resolve) => setTimeout(resolve, 50));

    const table = await run(["status", "--redis", redis.url, "--prefix", prefix]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME +STATE +MODE +FAILURES +OPENED AT +RETRY AT +TRIALS$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 4))).toEqual([
      ["inventory", "closed", "enabled", "1"],
      ['"odd {name} 100%"', "open", "forced-open", "0"],
      ["payments", "open", "enabled", "2"],
    ]);
    expect(lines[3]).toMatch(
      /open +enabled +2 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +per resetTimeout +0$/,
    );

    const all = await run(["status", "--redis", redis.url, "--prefix", prefix, "--json"]);
    expect(all.code).toBe(0);
    const listed = JSON.parse(all.stdout) as { name: string; state: string; mode: string }[];
    expect(listed.map(({ name, state, mode }) => [name, state, mode])).toEqual([
      ["inventory", "closed", "enabled"],
      ["odd {name} 100%", "open", "forced-open"],
      ["payments", "open", "enabled"],
    ]);

    const one = await run([
      "status",
      "payments",
      "--redis",
      redis.url,
      "--prefix",
      prefix,
      "--json",
    ]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      name: "payments",
      state: "open",
      mode: "enabled",
      failCounter: 2,
      openAttempts: 1,
      trialCalls: 0,
      openDuration: null,
      retryAt: null,
      nextCallIsTrial: false,
    });
    const openedAt = (JSON.parse(one.stdout) as { openedAt: number }).openedAt;
    expect(Math.abs(openedAt - (payments.breaker.openedAt as number))).toBeLessThan(60_000);

    const single = await run(["status", "inventory", "--redis", redis.url, "--prefix", prefix]);
    expect(single.stdout.trimEnd().split("\n")).toHaveLength(2);
  }, 30_000);

  it("status: trial slots in use across the fleet, and an empty prefix", async () => {
    const prefix = uniqueName("trials");
    const one = await member(redis.url, "search", prefix, { failMax: 1, resetTimeout: 0 });
    members.push(one);
    await fail(one.breaker, 1);
    let finish: () => void = () => undefined;
    let started = false;
    const trial = one.breaker.call(
      () =>
        new Promise<void>((resolve) => {
          started = true;
          finish = resolve;
        }),
    );
    await until(() => started, 5_000, "the trial to start");
    const status = await run([
      "status",
      "search",
      "--redis",
      redis.url,
      "--prefix",
      prefix,
      "--json",
    ]);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: "half-open", trialCalls: 1 });
    finish();
    await trial;

    const empty = uniqueName("empty");
    const table = await run(["status", "--redis", redis.url, "--prefix", empty]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toBe(`no breakers under prefix "${empty}" at ${redis.url}\n`);
    const json = await run(["status", "--redis", redis.url, "--prefix", empty, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([]);
  }, 30_000);

  it("every operator command reaches another process's breaker", async () => {
    const prefix = uniqueName("operate");
    const other = await join_("payments", prefix, 3);
    const { breaker } = other;
    const act = async (action: string): Promise<string> => {
      const outcome = await run([action, "payments", "--redis", redis.url, "--prefix", prefix]);
      expect(outcome).toMatchObject({ code: 0, stderr: "" });
      return outcome.stdout;
    };

    expect(await act("open")).toBe("payments: closed (enabled) -> open (enabled)\n");
    await until(() => breaker.state === CircuitBreakerState.OPEN, 5_000, "the opening");

    await act("close");
    await until(() => breaker.state === CircuitBreakerState.CLOSED, 5_000, "the closing");

    await fail(breaker, 2);
    expect(breaker.failCounter).toBe(2);
    expect(await act("close")).toBe("payments: closed (enabled) -> closed (enabled)\n");
    await until(() => breaker.failCounter === 0, 5_000, "the failures cleared");

    expect(await act("force-open")).toBe("payments: closed (enabled) -> open (forced-open)\n");
    await until(() => breaker.mode === CircuitBreakerMode.FORCED_OPEN, 5_000, "force-open");
    expect(breaker.state).toBe(CircuitBreakerState.OPEN);

    await act("enable");
    await until(() => breaker.mode === CircuitBreakerMode.ENABLED, 5_000, "enable");
    expect(breaker.state).toBe(CircuitBreakerState.OPEN);

    await act("disable");
    await until(() => breaker.mode === CircuitBreakerMode.DISABLED, 5_000, "disable");

    expect(await act("reset")).toBe("payments: open (disabled) -> closed (enabled)\n");
    await until(
      () => breaker.mode === CircuitBreakerMode.ENABLED && breaker.state === "closed",
      5_000,
      "reset",
    );
  }, 30_000);

  it("refuses an unknown breaker, for status and every action, and creates nothing", async () => {
    const prefix = uniqueName("unknown");
    // Every action through runCli; two of them through the bin, which takes a second each.
    const actions = child
      ? ["status", "disable"]
      : ["status", "open", "close", "reset", "force-open", "disable", "enable"];
    for (const action of actions) {
      const outcome = await run([action, "nope", "--redis", redis.url, "--prefix", prefix]);
      expect(outcome.code).toBe(1);
      expect(outcome.stdout).toBe("");
      expect(outcome.stderr).toBe(
        `aiobreaker: no breaker named "nope" under prefix "${prefix}" at ${redis.url}\n`,
      );
    }
    expect(await redis.cli("EXISTS", `${prefix}:{nope}:s`)).toBe("0");
  }, 30_000);

  it("a bad command line: exit code 2 and one line naming what is wrong", async () => {
    const cases: [string[], string][] = [
      [[], "no command given"],
      [["stats"], 'unknown command "stats"'],
      [["status", "--redis", redis.url, "--verbose"], "unknown option --verbose for status"],
      [["status"], "--redis URL is required"],
      [["status", "--redis", "localhost:6379"], "--redis must be a redis:// or rediss:// URL"],
      [["open", "--redis", redis.url], "open needs a breaker name"],
      [["open", "a", "b", "--redis", redis.url], 'unexpected argument "b" for open'],
      [["dashboard", "--redis", redis.url, "--port", "http"], "--port must be a port number"],
    ];
    for (const [args, reason] of cases) {
      const outcome = await run(args);
      expect(outcome.code, args.join(" ")).toBe(2);
      expect(outcome.stdout).toBe("");
      expect(outcome.stderr.split("\n")).toHaveLength(2);
      expect(outcome.stderr).toContain(reason);
      expect(outcome.stderr).toMatch(/^aiobreaker: .*\(see aiobreaker --help\)\n$/);
    }
  }, 30_000);

  it("Redis unreachable (a closed port) or silent (stopped): exit 1, one line", async () => {
    const url = `redis://127.0.0.1:${String(await freePort())}`;
    for (const args of [["status"], ["open", "payments"]]) {
      const outcome = await run([...args, "--redis", url]);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(
        new RegExp(`^aiobreaker: cannot reach Redis at ${url}/?: .*ECONNREFUSED.*\\n$`),
      );
    }
    // A server that accepts connections and answers nothing: the 3 s bound (once, in-process).
    if (child) return;
    const stalled = await RedisServer.start();
    try {
      stalled.pause();
      const outcome = await run(["status", "--redis", stalled.url]);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toBe(
        `aiobreaker: Redis at ${stalled.url} did not answer within 3 s\n`,
      );
    } finally {
      stalled.resume();
      await stalled.stop();
    }
  }, 30_000);

  it("--help documents every command and option; <command> --help its own", async () => {
    const general = await run(["--help"]);
    expect(general).toMatchObject({ code: 0, stderr: "" });
    for (const word of [
      "status",
      "open",
      "close",
      "reset",
      "force-open",
      "disable",
      "enable",
      "dashboard",
      "--redis",
      "--prefix",
      "--json",
      "--port",
      "--host",
      "--token",
      "Exit status",
    ]) {
      expect(general.stdout).toContain(word);
    }
    const status = await run(["status", "--help"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^aiobreaker status \[name\] --redis URL/);
    const open = await run(["help", "force-open"]);
    expect(open.stdout).toContain("force-open   open with no trial call until enable or reset");
    const dashboard = await run(["dashboard", "-h"]);
    expect(dashboard.stdout).toContain("--token T");
  });
});

describe("status, on what Redis holds", () => {
  it("shows when the next trial comes, where the opening recorded its length", async () => {
    const prefix = uniqueName("retry");
    const waiting = await member(redis.url, "waiting", prefix, {
      failMax: 1,
      resetTimeout: () => 120_000,
    });
    const due = await member(redis.url, "due", prefix, { failMax: 1, resetTimeout: () => 0 });
    members.push(waiting, due);
    await fail(waiting.breaker, 1);
    await fail(due.breaker, 1);
    const json = await inProcess(["status", "--redis", redis.url, "--prefix", prefix, "--json"]);
    const [first, second] = JSON.parse(json.stdout) as {
      name: string;
      openedAt: number;
      openDuration: number;
      retryAt: number;
      nextCallIsTrial: boolean;
    }[];
    expect(first).toMatchObject({ name: "due", openDuration: 0, nextCallIsTrial: true });
    expect(first?.retryAt).toBe(first?.openedAt);
    expect(second).toMatchObject({
      name: "waiting",
      openDuration: 120_000,
      nextCallIsTrial: false,
    });
    expect(second?.retryAt).toBe((second?.openedAt ?? 0) + 120_000);
    const table = await inProcess(["status", "--redis", redis.url, "--prefix", prefix]);
    const [, dueRow, waitingRow] = table.stdout.trimEnd().split("\n");
    expect(dueRow).toMatch(/ \d\d:\d\d:\d\dZ \(due\) +0$/);
    expect(waitingRow).toMatch(/ \d\d:\d\d:\d\dZ \(in 1[12]\d s\) +0$/);
  });

  it("fails in one line on a state it cannot read", async () => {
    const prefix = uniqueName("junk");
    await redis.cli("HSET", `${prefix}:{weird}:s`, "g", "1", "st", "ajar");
    await redis.cli("SET", `${prefix}:{string}:s`, "not a hash");
    const weird = await inProcess(["status", "weird", "--redis", redis.url, "--prefix", prefix]);
    expect(weird).toMatchObject({
      code: 1,
      stderr: `aiobreaker: unexpected breaker state at ${prefix}:{weird}:s: state "ajar", mode "enabled"\n`,
    });
    const string = await inProcess(["status", "string", "--redis", redis.url, "--prefix", prefix]);
    expect(string.code).toBe(1);
    expect(string.stderr).toMatch(
      new RegExp(`^aiobreaker: Redis at ${redis.url} failed HMGET: WRONGTYPE .*\\n$`),
    );
  });

  it("finds breakers under a prefix with glob characters in it, and only those", async () => {
    const prefix = `${uniqueName("glob")}*[a]?`;
    await join_("one", prefix);
    await redis.cli("HSET", `${prefix.replace("*", "x")}:{other}:s`, "g", "1");
    const json = await inProcess(["status", "--redis", redis.url, "--prefix", prefix, "--json"]);
    expect((JSON.parse(json.stdout) as { name: string }[]).map(({ name }) => name)).toEqual([
      "one",
    ]);
  });
});

describe("the built bin", () => {
  it("is executable, and says in one line when the redis package is missing", async () => {
    // A copy of the package's dist with no node_modules anywhere above it.
    const dir = mkdtempSync(join(tmpdir(), "aiobreaker-cli-"));
    try {
      cpSync(join(root, "dist"), join(dir, "dist"), { recursive: true });
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      const { execFile } = await import("node:child_process");
      const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          join(dir, "dist/cli/main.js"),
          ["status", "--redis", redis.url],
          { timeout: 20_000 },
          (error, _stdout, stderr) => {
            resolve({ code: error === null ? 0 : (error.code as number), stderr });
          },
        );
      });
      expect(outcome).toEqual({
        code: 1,
        stderr:
          "aiobreaker: the aiobreaker CLI needs the redis package (node-redis 5 or 6): npm install redis\n",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("is the package's bin", async () => {
    const { readFileSync } = await import("node:fs");
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ aiobreaker: "./dist/cli/main.js" });
    const outcome = await cli(["--help"]);
    expect(outcome.code).toBe(0);
  });
});
