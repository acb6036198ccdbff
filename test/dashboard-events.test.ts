// GET /events over real HTTP: what each stream gets, when, and what the dashboard holds for it.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor } from "../src/index.js";
import {
  createDashboard,
  type DashboardBreaker,
  type DashboardHandler,
} from "../src/dashboard/index.js";
import {
  TOKEN,
  EventReader,
  cleanups,
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

describe("GET /events", () => {
  it("sends its headers at once, then the breakers as they are", async () => {
    const { url } = await start({ heartbeat: 60_000 });
    const events = await EventReader.open(url("/events"));
    cleanups.push(() => events.cancel());
    const { response } = events;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectNoCookiesOrCors(response);
    const first = (await events.next()) as DashboardBreaker[];
    expect(first.map(({ name, state }) => ({ name, state }))).toEqual([
      { name: "payments", state: "closed" },
      { name: "search", state: "closed" },
      { name: "inventory:eu/a b", state: "closed" },
    ]);
    expect(first[0]).toHaveProperty("stats.calls", 0);
    expect(first[1]).toHaveProperty("metrics.failureRate", 0);
  });

  it("pushes a trip, a mode change and breakers added and removed", async () => {
    const { url, payments, search, monitor } = await start({ heartbeat: 60_000 });
    const events = await EventReader.open(url("/events"));
    cleanups.push(() => events.cancel());
    await events.next();
    await fail(payments, 2);
    const tripped = (await events.next()) as DashboardBreaker[];
    expect(tripped[0]).toMatchObject({ name: "payments", state: "open" });
    search.forceOpen();
    expect(((await events.next()) as DashboardBreaker[])[1]).toMatchObject({
      name: "search",
      mode: "forced-open",
    });
    const late = new CircuitBreaker({ name: "late", monitor });
    expect(((await events.next()) as DashboardBreaker[]).map((b) => b.name)).toContain("late");
    late.open();
    expect(((await events.next()) as DashboardBreaker[])[3]).toMatchObject({
      name: "late",
      state: "open",
    });
    monitor.unregister(late);
    expect(((await events.next()) as DashboardBreaker[]).map((b) => b.name)).not.toContain("late");
    // Removed from the monitor: its changes are no longer listened to.
    expect(late.listeners).toEqual([]);
  });

  it("coalesces a burst of changes in one tick into one push", async () => {
    const { url, payments, search, odd } = await start({ heartbeat: 60_000 });
    const events = await EventReader.open(url("/events"));
    cleanups.push(() => events.cancel());
    await events.next();
    payments.open();
    search.forceOpen();
    odd.disable();
    payments.close();
    const burst = (await events.next()) as DashboardBreaker[];
    expect(burst.map(({ state, mode }) => `${state}/${String(mode)}`)).toEqual([
      "closed/enabled",
      "open/forced-open",
      "closed/disabled",
    ]);
    // Were the burst more than one push, the next document would repeat it.
    odd.enable();
    expect(((await events.next()) as DashboardBreaker[])[2]).toMatchObject({ mode: "enabled" });
  });

  it("pushes to every open stream, and again every heartbeat when nothing changes", async () => {
    const { url, payments } = await start({ heartbeat: 20 });
    const one = await EventReader.open(url("/events"));
    const two = await EventReader.open(url("/events"));
    cleanups.push(
      () => one.cancel(),
      () => two.cancel(),
    );
    const [a, b] = (await Promise.all([
      one.next(),
      two.next(),
      one.next(),
      two.next(),
    ])) as unknown as [DashboardBreaker[], DashboardBreaker[]];
    expect(a.length).toBe(3);
    expect(b.length).toBe(3);
    // Later documents read the breakers anew.
    await payments.call(() => "ok");
    await one.until<DashboardBreaker[]>((document) => document[0]?.stats?.calls === 1);
    await two.until<DashboardBreaker[]>((document) => document[0]?.stats?.calls === 1);
  });

  it("pushes after a control that changes neither state nor mode", async () => {
    const { url, payments } = await start({ token: TOKEN, heartbeat: 60_000 });
    await fail(payments, 1);
    const events = await EventReader.open(url("/events"));
    cleanups.push(() => events.cancel());
    expect(((await events.next()) as DashboardBreaker[])[0]).toMatchObject({ failCounter: 1 });
    expect((await post(url("/breakers/payments/reset"), `Bearer ${TOKEN}`)).status).toBe(200);
    expect(((await events.next()) as DashboardBreaker[])[0]).toMatchObject({ failCounter: 0 });
  });

  it("holds a listener, a watch and a timer only while a stream is open", async () => {
    const { url, payments, search, dashboard, monitor } = await start({ heartbeat: 20 });
    const intervals = vi.spyOn(globalThis, "setInterval");
    const cleared = vi.spyOn(globalThis, "clearInterval");
    expect(payments.listeners).toEqual([]);
    const one = await EventReader.open(url("/events"));
    await one.next();
    const two = await EventReader.open(url("/events"));
    await two.next();
    expect(payments.listeners.length).toBe(1);
    expect(search.listeners.length).toBe(1);
    // One interval shared by both streams.
    expect(intervals).toHaveBeenCalledTimes(1);
    expect(intervals).toHaveBeenCalledWith(expect.any(Function), 20);
    const interval = intervals.mock.results[0]?.value as NodeJS.Timeout;
    expect(interval.hasRef()).toBe(false);
    await one.cancel();
    // Still one stream: everything stays, and it keeps getting pushes.
    await two.next();
    await two.next();
    expect(payments.listeners.length).toBe(1);
    dashboard.close();
    expect(await two.ended()).toBe(true);
    expect(payments.listeners).toEqual([]);
    expect(search.listeners).toEqual([]);
    expect(cleared).toHaveBeenCalledWith(interval);
    // The watch ended too: a breaker registered now gets no listener.
    const late = new CircuitBreaker({ name: "late", monitor });
    expect(late.listeners).toEqual([]);
  });

  it("lets go of everything when the last client hangs up", async () => {
    const { url, payments, served } = await start({ heartbeat: 20 });
    const intervals = vi.spyOn(globalThis, "setInterval");
    const cleared = vi.spyOn(globalThis, "clearInterval");
    const events = await EventReader.open(url("/events"));
    await events.next();
    expect(payments.listeners.length).toBe(1);
    await events.cancel();
    await vi.waitFor(() => {
      expect(payments.listeners).toEqual([]);
    });
    expect(cleared).toHaveBeenCalledWith(intervals.mock.results[0]?.value);
    // A stream opened again starts it all anew.
    const again = await EventReader.open(url("/events"));
    await again.next();
    await again.next();
    expect(payments.listeners.length).toBe(1);
    expect(intervals).toHaveBeenCalledTimes(2);
    await served.close();
    await vi.waitFor(() => {
      expect(payments.listeners).toEqual([]);
    });
  });

  it("answers 405 to anything but GET", async () => {
    const { url } = await start();
    const response = await fetch(url("/events"), { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("ends the streams and reports it when reading the breakers fails later", async () => {
    class FlakyMonitor extends CircuitBreakerMonitor {
      fail = false;
      override snapshot() {
        if (this.fail) throw new Error("storage unreachable");
        return super.snapshot();
      }
    }
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const monitor = new FlakyMonitor();
    const { url, payments } = await start({ heartbeat: 20 }, monitor);
    const events = await EventReader.open(url("/events"));
    await events.next();
    monitor.fail = true;
    await expect(events.ended()).rejects.toThrow();
    expect(logged).toHaveBeenCalledWith(
      "aiobreaker dashboard: reading the breakers failed; event streams ended",
      expect.objectContaining({ message: "storage unreachable" }),
    );
    expect(payments.listeners).toEqual([]);
  });

  it("starts nothing for a client that hung up before the handler ran", async () => {
    const monitor = new CircuitBreakerMonitor();
    const breaker = new CircuitBreaker({ name: "a", monitor });
    const dashboard: DashboardHandler = createDashboard({ monitor });
    let handled!: () => void;
    let arrived!: () => void;
    const done = new Promise<void>((resolve) => (handled = resolve));
    const received = new Promise<void>((resolve) => (arrived = resolve));
    // Middleware that finishes only after the client is gone.
    const served = await serve((req, res) => {
      arrived();
      res.on("close", () => {
        dashboard(req, res);
        handled();
      });
    });
    cleanups.push(
      () => served.close(),
      () => {
        dashboard.close();
      },
    );
    const abort = new AbortController();
    const pending = fetch(`${served.origin}/events`, { signal: abort.signal }).catch(
      (error: unknown) => error,
    );
    await received;
    abort.abort();
    await pending;
    await done;
    expect(breaker.listeners).toEqual([]);
  });

  it("drops a stream whose response reports an error", async () => {
    const monitor = new CircuitBreakerMonitor();
    const breaker = new CircuitBreaker({ name: "a", monitor });
    const dashboard = createDashboard({ monitor, heartbeat: 60_000 });
    let stream: ServerResponse | undefined;
    const served = await serve((req, res) => {
      stream = res;
      dashboard(req, res);
    });
    cleanups.push(
      () => served.close(),
      () => {
        dashboard.close();
      },
    );
    const events = await EventReader.open(`${served.origin}/events`);
    cleanups.push(() => events.cancel());
    await events.next();
    expect(breaker.listeners.length).toBe(1);
    (stream as ServerResponse).emit("error", new Error("write EPIPE"));
    expect(breaker.listeners).toEqual([]);
  });

  it("ends a stream whose start fails after its headers went out, and reports it", async () => {
    class BrokenWatchMonitor extends CircuitBreakerMonitor {
      override watch(): never {
        throw new Error("watch failed");
      }
    }
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { url } = await start({}, new BrokenWatchMonitor());
    const response = await fetch(url("/events"));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(logged).toHaveBeenCalledWith(
      "aiobreaker dashboard: a request failed",
      expect.objectContaining({ message: "watch failed" }),
    );
    // The handler still answers.
    expect((await fetch(url("/snapshot"))).status).toBe(200);
  });

  it("skips pushes to a reader that does not keep up, keeping what it buffers bounded", async () => {
    const monitor = new CircuitBreakerMonitor();
    for (let i = 0; i < 200; i++) new CircuitBreaker({ name: `breaker-${String(i)}`, monitor });
    const dashboard = createDashboard({ monitor, heartbeat: 10 });
    let stream: ServerResponse | undefined;
    const served = await serve((req, res) => {
      if (req.url === "/events") stream = res;
      dashboard(req, res);
    });
    cleanups.push(
      () => served.close(),
      () => {
        dashboard.close();
      },
    );
    // A reader that takes the headers and then reads nothing.
    const response = await fetch(`${served.origin}/events`);
    cleanups.push(() => response.body?.cancel());
    await vi.waitFor(
      () => {
        expect(stream?.writableNeedDrain).toBe(true);
      },
      { timeout: 30_000, interval: 20 },
    );
    const buffered = (stream as ServerResponse).writableLength;
    const reads = vi.spyOn(monitor, "snapshot");
    await vi.waitFor(
      () => {
        expect(reads.mock.calls.length).toBeGreaterThan(5);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect((stream as ServerResponse).writableLength).toBeLessThanOrEqual(buffered);
  });
});
