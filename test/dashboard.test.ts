import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor } from "../src/index.js";
import {
  CONTROL_ACTIONS,
  createDashboard,
  type DashboardBreaker,
  type DashboardOptions,
} from "../src/dashboard/index.js";
import {
  TOKEN,
  cleanups,
  errorOf,
  expectNoCookiesOrCors,
  fail,
  post,
  runCleanups,
  serve,
  start,
} from "./dashboard-support.js";

afterEach(async () => {
  await runCleanups();
  vi.restoreAllMocks();
});

describe("createDashboard options", () => {
  const monitor = new CircuitBreakerMonitor();

  it.each([
    [undefined, TypeError, /createDashboard expects \{ monitor/],
    [null, TypeError, /got null/],
    [
      { monitor, colour: "red" },
      TypeError,
      /unknown option "colour"; it takes monitor, token, basePath, heartbeat/,
    ],
    [{}, TypeError, /monitor must be a CircuitBreakerMonitor, got undefined/],
    [
      { monitor: { snapshot: () => [] } },
      TypeError,
      /monitor must be a CircuitBreakerMonitor, got an object/,
    ],
    [{ monitor, token: "" }, TypeError, /token must be a non-empty string .* got ""/],
    [{ monitor, token: null }, TypeError, /token must be a non-empty string .* got null/],
    [{ monitor, token: 42 }, TypeError, /token must be a non-empty string .* got 42/],
    [{ monitor, token: "two words" }, TypeError, /token must be visible ASCII/],
    [{ monitor, basePath: "breakers" }, TypeError, /basePath must be a path .* got "breakers"/],
    [{ monitor, basePath: "/breakers/" }, TypeError, /basePath .* got "\/breakers\/"/],
    [{ monitor, basePath: "/a?b" }, TypeError, /basePath/],
    [{ monitor, basePath: 7 }, TypeError, /basePath .* got 7/],
    [{ monitor, heartbeat: 1.5 }, TypeError, /heartbeat must be an integer number of ms, got 1.5/],
    [{ monitor, heartbeat: "2000" }, TypeError, /heartbeat .* got "2000"/],
    [{ monitor, heartbeat: 5 }, RangeError, /heartbeat must be from 10 to 2147483647 ms, got 5/],
    [{ monitor, heartbeat: 2 ** 31 }, RangeError, /heartbeat .* got 2147483648/],
  ])("refuses %o", (options, type, message) => {
    expect(() => createDashboard(options as DashboardOptions)).toThrow(type);
    expect(() => createDashboard(options as DashboardOptions)).toThrow(message);
  });

  it("accepts what it documents, undefined meaning left out", () => {
    expect(typeof createDashboard({ monitor })).toBe("function");
    expect(typeof createDashboard({ monitor, token: TOKEN, basePath: "/", heartbeat: 10 })).toBe(
      "function",
    );
    expect(
      typeof createDashboard({
        monitor,
        token: undefined,
        basePath: undefined,
        heartbeat: undefined,
      }),
    ).toBe("function");
    expect(CONTROL_ACTIONS).toEqual(["open", "close", "reset", "force-open", "disable", "enable"]);
  });
});

describe("GET / (the page)", () => {
  it("serves the page with a self-only policy that names its inline script and style", async () => {
    const { url } = await start({ token: TOKEN });
    const response = await fetch(url("/"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expectNoCookiesOrCors(response);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/^default-src 'none'; /);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? "";
    const sha = (text: string) => createHash("sha256").update(text).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${sha(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${sha(style)}'`);
    // Every URL the page uses is relative, so it works under any mount path.
    expect(script).toContain('new URL("events", base)');
    // Nothing from elsewhere (the SVG namespace is a name, never fetched).
    expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/(src|href)="\/|https?:/);
    expect(html).toContain('data-controls="on"');
    expect(html).toContain('id="token"');
  });

  it("without a token the page has no token field and no controls", async () => {
    const { url } = await start();
    const html = await (await fetch(url("/"))).text();
    expect(html).toContain('data-controls="off"');
    expect(html).not.toContain('id="token"');
  });

  it("answers HEAD without a body and other methods with 405", async () => {
    const { url } = await start();
    const head = await fetch(url("/"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const posted = await fetch(url("/"), { method: "POST" });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET, HEAD");
    expect(await errorOf(posted)).toBe("POST is not allowed here; use GET, HEAD");
  });
});

describe("GET /snapshot", () => {
  it("lists every breaker with state, mode, stats, window metrics and times", async () => {
    const { url, payments, search } = await start();
    await fail(payments, 2);
    await search.call(() => "ok");
    const response = await fetch(url("/snapshot?fresh=1"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expectNoCookiesOrCors(response);
    const body = (await response.json()) as DashboardBreaker[];
    expect(body.map((breaker) => breaker.name)).toEqual(["payments", "search", "inventory:eu/a b"]);
    const [open, windowed] = body as [DashboardBreaker, DashboardBreaker];
    expect(open).toMatchObject({
      state: "open",
      mode: "enabled",
      failCounter: 2,
      nextCallIsTrial: false,
      stats: { calls: 2, failures: 2, successes: 0, stateChanges: 1 },
    });
    expect(open.retryAt).toBe((open.openedAt as number) + 60_000);
    expect(typeof open.snapshotAt).toBe("number");
    expect(open.window).toBeUndefined();
    expect(windowed).toMatchObject({
      state: "closed",
      window: { kind: "count", size: 20 },
      metrics: { calls: 1, failures: 0, failureRate: 0 },
      stats: { calls: 1, successes: 1 },
    });
  });

  it("gives a time window's shape, not its contents", async () => {
    const monitor = new CircuitBreakerMonitor();
    new CircuitBreaker({ name: "timed", monitor, window: { duration: 10_000, buckets: 5 } });
    const { url } = await start({}, monitor);
    const body = (await (await fetch(url("/snapshot"))).json()) as DashboardBreaker[];
    expect(body[0]?.window).toEqual({ kind: "time", duration: 10_000, buckets: 5 });
  });

  it("answers 405 to a POST and 500 when the monitor fails, with the cause logged", async () => {
    class FailingMonitor extends CircuitBreakerMonitor {
      override snapshot(): never {
        throw new Error("storage unreachable");
      }
    }
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { url } = await start({}, new FailingMonitor());
    const posted = await fetch(url("/snapshot"), { method: "POST" });
    expect(posted.status).toBe(405);
    const failed = await fetch(url("/snapshot"));
    expect(failed.status).toBe(500);
    expect(await errorOf(failed)).toBe(
      "the dashboard failed to answer; the server log has the cause",
    );
    expect(logged).toHaveBeenCalledWith(
      "aiobreaker dashboard: a request failed",
      expect.objectContaining({ message: "storage unreachable" }),
    );
    const stream = await fetch(url("/events"));
    expect(stream.status).toBe(500);
    await stream.text();
  });
});

describe("unknown paths", () => {
  it.each([
    ["GET", "/nope"],
    ["GET", "/snapshot/"],
    ["GET", "/breakers"],
    ["POST", "/breakers/payments"],
    ["POST", "/breakers/payments/explode"],
    ["POST", "/breakers//open"],
    ["POST", "/breakers/payments/open/now"],
  ])("%s %s is 404", async (method, path) => {
    const { url } = await start({ token: TOKEN });
    const response = await fetch(url(path), {
      method,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(404);
    expectNoCookiesOrCors(response);
    expect(await errorOf(response)).toBe(`no such path: ${method} ${path}`);
  });
  it("names a long path in one bounded line", async () => {
    const { url } = await start();
    const response = await fetch(url(`/${"x".repeat(300)}`));
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toBe(`no such path: GET /${"x".repeat(199)}…`);
  });
});

describe("controls", () => {
  it("answer 403 to everyone when no token is configured, changing nothing", async () => {
    const { url, payments } = await start();
    for (const action of CONTROL_ACTIONS) {
      const response = await post(url(`/breakers/payments/${action}`), `Bearer ${TOKEN}`);
      expect(response.status).toBe(403);
      expect(await errorOf(response)).toBe(
        "controls are off: the dashboard was created without a token",
      );
    }
    expect(payments.toJSON()).toMatchObject({ state: "closed", mode: "enabled" });
  });

  it.each([
    ["no Authorization header", undefined, "this control needs Authorization: Bearer <token>"],
    ["another scheme", `Basic ${TOKEN}`, "this control needs Authorization: Bearer <token>"],
    ["an empty bearer", "Bearer ", "this control needs Authorization: Bearer <token>"],
    ["a wrong token", "Bearer wrong", "the bearer token is not the dashboard's"],
    ["a longer token", `Bearer ${TOKEN}x`, "the bearer token is not the dashboard's"],
    ["a prefix of it", `Bearer ${TOKEN.slice(0, 4)}`, "the bearer token is not the dashboard's"],
  ])("answer 401 to %s, changing nothing", async (_case, authorization, message) => {
    const { url, payments } = await start({ token: TOKEN });
    const response = await post(url("/breakers/payments/force-open"), authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="aiobreaker dashboard"');
    expect(await errorOf(response)).toBe(message);
    expect(payments.toJSON()).toMatchObject({ state: "closed", mode: "enabled" });
  });

  it("check the token before the name: an unknown breaker is 401 without it, 404 with it", async () => {
    const { url } = await start({ token: TOKEN });
    expect((await post(url("/breakers/ghost/open"))).status).toBe(401);
    const response = await post(url("/breakers/ghost/open"), `bearer ${TOKEN}`);
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toBe('no breaker named "ghost" in this monitor');
  });

  it("with the token, each action changes the breaker and answers with it", async () => {
    const { url, payments } = await start({ token: TOKEN });
    const run = async (action: string) => {
      const response = await post(url(`/breakers/payments/${action}`), `Bearer ${TOKEN}`);
      expect(response.status).toBe(200);
      expectNoCookiesOrCors(response);
      const body = (await response.json()) as { action: string; breaker: DashboardBreaker };
      expect(body.action).toBe(action);
      expect(body.breaker).toEqual({ ...payments.toJSON(), snapshotAt: body.breaker.snapshotAt });
      return body.breaker;
    };
    expect(await run("open")).toMatchObject({ state: "open", mode: "enabled" });
    expect(await run("close")).toMatchObject({ state: "closed", mode: "enabled" });
    expect(await run("force-open")).toMatchObject({ state: "open", mode: "forced-open" });
    expect(await run("enable")).toMatchObject({ state: "open", mode: "enabled" });
    expect(await run("disable")).toMatchObject({ state: "open", mode: "disabled" });
    expect(await run("reset")).toMatchObject({ state: "closed", mode: "enabled", failCounter: 0 });
    expect(payments.stats.stateChanges).toBe(4);
  });

  it("find breakers whose URL-encoded names hold ':', '/' and spaces", async () => {
    const { url, odd } = await start({ token: TOKEN });
    const path = `/breakers/${encodeURIComponent("inventory:eu/a b")}/open`;
    expect((await post(url(path), `Bearer ${TOKEN}`)).status).toBe(200);
    expect(odd.state).toBe("open");
    const bad = await post(url("/breakers/%E0%A4%A/open"), `Bearer ${TOKEN}`);
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toBe(
      "the breaker name in the path is not valid URL encoding: %E0%A4%A",
    );
  });

  it("answer 405 to other methods, with Allow", async () => {
    const { url, payments } = await start({ token: TOKEN });
    const response = await fetch(url("/breakers/payments/open"), {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(payments.state).toBe("closed");
  });

  it("ignore a request body, keeping the connection usable", async () => {
    const { url, payments } = await start({ token: TOKEN });
    const response = await fetch(url("/breakers/payments/open"), {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ignored: "x".repeat(100_000) }),
    });
    expect(response.status).toBe(200);
    expect(payments.state).toBe("open");
    expect((await fetch(url("/snapshot"))).status).toBe(200);
  });
});

describe("under a path prefix", () => {
  it("routes under basePath and answers 404 outside it", async () => {
    const { url, payments } = await start({ token: TOKEN, basePath: "/ops/breakers" });
    expect((await fetch(url("/ops/breakers"))).status).toBe(200);
    expect((await fetch(url("/ops/breakers/?x=1"))).status).toBe(200);
    const snapshot = await fetch(url("/ops/breakers/snapshot"));
    expect(((await snapshot.json()) as unknown[]).length).toBe(3);
    for (const path of ["/", "/snapshot", "/ops/breakersx", "/ops"]) {
      const response = await fetch(url(path));
      expect(response.status).toBe(404);
      expect(await errorOf(response)).toBe(`no such path: GET ${path}`);
    }
    const control = await post(url("/ops/breakers/breakers/payments/open"), `Bearer ${TOKEN}`);
    expect(control.status).toBe(200);
    expect(payments.state).toBe("open");
  });

  it("routes on req.url as a framework hands it, its mount path stripped", async () => {
    const monitor = new CircuitBreakerMonitor();
    new CircuitBreaker({ name: "a", monitor });
    const dashboard = createDashboard({ monitor });
    // What Express's app.use("/ops", dashboard) does before calling a middleware.
    const served = await serve((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? "/";
      if (!url.startsWith("/ops")) {
        res.writeHead(418).end();
        return;
      }
      req.url =
        url.slice(4) === "" || url.slice(4).startsWith("?") ? `/${url.slice(4)}` : url.slice(4);
      dashboard(req, res);
    });
    cleanups.push(
      () => served.close(),
      () => {
        dashboard.close();
      },
    );
    expect((await fetch(`${served.origin}/ops`)).status).toBe(200);
    expect((await fetch(`${served.origin}/ops/snapshot`)).status).toBe(200);
    expect((await fetch(`${served.origin}/other`)).status).toBe(418);
  });
});
