// `aiobreaker dashboard` against a real redis-server: the page's /snapshot holds every breaker
// of the fleet (new ones appear), its controls reach the other processes' breakers, it reports
// an outage of Redis once and the recovery once, and it stops cleanly on SIGTERM.
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CircuitBreakerMode, CircuitBreakerState } from "../src/index.js";
import { pageUrl } from "../src/cli/dashboard-command.js";
import { RedisServer } from "./support/redis-server.js";
import { until, uniqueName } from "./redis/fixtures.js";
import {
  buildIfMissing,
  inProcess,
  member,
  output,
  start,
  waitFor,
  type Member,
} from "./cli-support.js";
import { runCli } from "../src/cli/run.js";

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

async function join(url: string, name: string, prefix: string): Promise<Member> {
  const one = await member(url, name, prefix, { failMax: 2 });
  members.push(one);
  return one;
}

interface Card {
  readonly name: string;
  readonly state: string;
  readonly mode: string;
}

async function snapshot(page: string): Promise<Card[]> {
  const response = await fetch(`${page}snapshot`);
  expect(response.status).toBe(200);
  return (await response.json()) as Card[];
}

function control(page: string, name: string, action: string, token?: string): Promise<Response> {
  return fetch(`${page}breakers/${encodeURIComponent(name)}/${action}`, {
    method: "POST",
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

function urlIn(text: string): string | undefined {
  return /aiobreaker dashboard: (http:\/\/\S+\/) /.exec(text)?.[1];
}

describe("aiobreaker dashboard, the built bin", () => {
  it("serves the fleet's breakers; a control with the token changes the fleet", async () => {
    const prefix = uniqueName("dash");
    const payments = await join(redis.url, "payments", prefix);
    await join(redis.url, "inventory", prefix);
    const token = "fleet-secret";
    const running = start(["dashboard", "--redis", redis.url, "--prefix", prefix, "--port", "0"]);
    const withToken = start([
      "dashboard",
      "--redis",
      redis.url,
      "--prefix",
      prefix,
      "--port",
      "0",
      "--token",
      token,
    ]);
    try {
      const readOnly = await waitFor(() => urlIn(running.stdout), "the read-only dashboard");
      const page = await waitFor(() => urlIn(withToken.stdout), "the dashboard's URL");
      expect(withToken.stdout).toContain(
        `(2 breakers under prefix "${prefix}" at ${redis.url}; controls need the token)`,
      );
      const cards = await snapshot(page);
      expect(cards.map(({ name, state, mode }) => [name, state, mode]).sort()).toEqual([
        ["inventory", "closed", "enabled"],
        ["payments", "closed", "enabled"],
      ]);

      expect((await control(readOnly, "payments", "open", token)).status).toBe(403);
      expect((await control(page, "payments", "open")).status).toBe(401);
      expect((await control(page, "payments", "open", "wrong")).status).toBe(401);
      expect(payments.breaker.state).toBe(CircuitBreakerState.CLOSED);
      const opened = await control(page, "payments", "force-open", token);
      expect(opened.status).toBe(200);
      await until(() => payments.breaker.mode === CircuitBreakerMode.FORCED_OPEN, 5_000, "open");
      // The read-only page is a member of the fleet too: it shows the change.
      await waitFor(
        async () =>
          (await snapshot(readOnly)).find((card) => card.name === "payments")?.mode ===
          "forced-open"
            ? true
            : undefined,
        "the other dashboard to hear it",
      );

      // A change made elsewhere shows on the page; a breaker made later appears.
      payments.breaker.reset();
      await join(redis.url, "search", prefix);
      await waitFor(async () => {
        const now = await snapshot(page);
        return now.length === 3 && now.every((card) => card.mode === "enabled") ? true : undefined;
      }, "the new breaker and the reset");

      withToken.child.kill("SIGTERM");
      running.child.kill("SIGTERM");
      expect(await withToken.exited).toBe(0);
      expect(await running.exited).toBe(0);
      expect(withToken.stderr).toBe("");
      expect(running.stdout).toContain("read-only: no --token");
    } finally {
      withToken.child.kill("SIGKILL");
      running.child.kill("SIGKILL");
    }
  }, 60_000);
});

describe("aiobreaker dashboard, in this process", () => {
  it("follows new breakers and reports an outage of Redis once, then the recovery", async () => {
    const own = await RedisServer.start();
    const prefix = uniqueName("outage");
    const controller = new AbortController();
    const stdout = output();
    const stderr = output();
    try {
      await join(own.url, "payments", prefix);
      const done = runCli(
        ["dashboard", "--redis", own.url, "--prefix", prefix, "--port", "0", "--host", "localhost"],
        { stdout, stderr, env: {}, signal: controller.signal, scanInterval: 50 },
      );
      const page = await waitFor(() => urlIn(stdout.text), "the dashboard's URL");
      expect(page).toMatch(/^http:\/\/localhost:\d+\/$/);
      expect((await control(page, "payments", "open", "x")).status).toBe(403);
      await join(own.url, "search", prefix);
      await waitFor(
        async () => ((await snapshot(page)).length === 2 ? true : undefined),
        "the new breaker",
      );

      await own.kill();
      await waitFor(() => (stderr.text.includes("unreachable") ? true : undefined), "the outage");
      await own.restart();
      await waitFor(
        () => (stderr.text.includes("reachable again") ? true : undefined),
        "the recovery",
      );
      const lines = stderr.text.trimEnd().split("\n");
      const recovery = lines.findIndex((line) => line.includes("reachable again"));
      expect(lines.slice(0, recovery)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^aiobreaker dashboard: Redis at ${own.url} unreachable \\(.+\\); showing the last state heard$`,
          ),
        ),
      ]);
      expect(lines[recovery]).toBe(`aiobreaker dashboard: Redis at ${own.url} reachable again`);
      // Its breakers wrote the fleet's state back to the empty Redis, as every member does.
      await waitFor(
        async () => ((await own.cli("EXISTS", `${prefix}:{search}:s`)) === "1" ? true : undefined),
        "the state written back",
      );

      controller.abort();
      expect(await done).toBe(0);
    } finally {
      controller.abort();
      await own.stop();
    }
  }, 60_000);

  it("fails in one line when it cannot listen, or Redis is unreachable", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      const busy = await inProcess(["dashboard", "--redis", redis.url, "--port", String(port)]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(
        new RegExp(
          `^aiobreaker: cannot listen on 127\\.0\\.0\\.1:${String(port)}: .*EADDRINUSE.*\\n$`,
        ),
      );
    } finally {
      taken.close();
    }
    const down = await inProcess(["dashboard", "--redis", `redis://127.0.0.1:${String(port)}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("aiobreaker: cannot reach Redis at");
  });

  it("stops at once when the signal has already aborted", async () => {
    const stopped = await inProcess(["dashboard", "--redis", redis.url, "--port", "0"], {
      signal: AbortSignal.abort(),
    });
    expect(stopped).toMatchObject({ code: 130, stderr: "aiobreaker: interrupted\n" });
  });

  it("prints an IPv6 host in brackets", () => {
    expect(pageUrl("::1", 8080)).toBe("http://[::1]:8080/");
    expect(pageUrl("127.0.0.1", 80)).toBe("http://127.0.0.1:80/");
  });
});
