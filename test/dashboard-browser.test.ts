// The dashboard's page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// each test starts its own server and browser and closes both.
import { chromium, type Browser, type Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor } from "../src/index.js";
import { createDashboard, type DashboardOptions } from "../src/dashboard/index.js";
import { serve } from "./dashboard-support.js";

const TOKEN = "page-token-123";
// Waits are assertions that a change arrives, never of how fast: generous on a shared machine.
const ARRIVES = { timeout: 20_000 };
// Starting Chromium takes seconds on a loaded machine; a test's own steps take a few more.
const BROWSER_TIMEOUT = 120_000;
const HOSTILE = `<img src=x onerror="window.__pwned=1">"'&`;

let browser: Browser;
let page: Page;
let problems: string[];
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  page = await browser.newPage();
  problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
}, BROWSER_TIMEOUT);

afterEach(async () => {
  await browser.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, BROWSER_TIMEOUT);

/** Breakers in a monitor, a dashboard over them, served on a free port. */
async function start(options: Partial<DashboardOptions> = {}) {
  const monitor = new CircuitBreakerMonitor();
  const payments = new CircuitBreaker({
    name: "payments",
    monitor,
    failMax: 2,
    resetTimeout: 600_000,
  });
  const search = new CircuitBreaker({
    name: "search",
    monitor,
    window: { calls: 10 },
    minimumCalls: 2,
  });
  const inventory = new CircuitBreaker({ name: "inventory:eu/west", monitor });
  const hostile = new CircuitBreaker({ name: HOSTILE, monitor });
  const dashboard = createDashboard({ monitor, heartbeat: 200, ...options });
  const served = await serve(dashboard);
  cleanups.push(
    () => served.close(),
    () => {
      dashboard.close();
    },
  );
  return { monitor, payments, search, inventory, hostile, origin: served.origin };
}

async function trip(breaker: CircuitBreaker): Promise<void> {
  while (breaker.state !== "open") {
    await breaker
      .call(() => {
        throw new Error("down");
      })
      .catch(() => undefined);
  }
}

const card = (name: string) => `[data-breaker="${name}"]`;

describe("the dashboard page", { timeout: BROWSER_TIMEOUT }, () => {
  it("renders a card per breaker with its state, the names as text", async () => {
    const { origin, payments } = await start({ token: TOKEN });
    await trip(payments);
    await page.goto(`${origin}/`);
    await page.waitForSelector(`${card("payments")}[data-state="open"]`, ARRIVES);
    await page.waitForSelector(`${card("search")}[data-state="closed"]`, ARRIVES);
    await page.waitForSelector(`${card("inventory:eu/west")}[data-state="closed"]`, ARRIVES);
    const names = await page.$$eval("[data-breaker]", (cards) =>
      cards.map((element) => [
        (element as HTMLElement).dataset["breaker"],
        element.querySelector("h2")?.textContent,
      ]),
    );
    expect(names).toEqual([
      ["payments", "payments"],
      ["search", "search"],
      ["inventory:eu/west", "inventory:eu/west"],
      [HOSTILE, HOSTILE],
    ]);
    // The hostile name stayed text: no element made of it, no handler ran.
    expect(await page.$$eval("img", (images) => images.length)).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    const open = page.locator(card("payments"));
    await expect.poll(() => open.locator(".badge").textContent()).toBe("open");
    await expect.poll(() => open.locator('[data-field="failCounter"]').textContent()).toBe("2");
    await expect
      .poll(() => open.locator('[data-field="trial"]').textContent())
      .toMatch(/^in \d+ s$/);
    // The state shows in colour: open and closed badges differ.
    const colour = (name: string) =>
      page
        .locator(card(name))
        .locator(".badge")
        .evaluate((badge) => getComputedStyle(badge).backgroundColor);
    expect(await colour("payments")).not.toBe(await colour("search"));
    expect(await page.locator(`${card("payments")} button`).count()).toBe(6);
    expect(problems).toEqual([]);
  });

  it("follows a trip, a mode change and rates without a reload", async () => {
    const { origin, payments, search, monitor } = await start();
    await page.goto(`${origin}/`);
    await page.waitForSelector(`${card("payments")}[data-state="closed"]`, ARRIVES);
    await page.evaluate(() => {
      (window as { __sameDocument?: boolean }).__sameDocument = true;
    });
    await trip(payments);
    await page.waitForSelector(`${card("payments")}[data-state="open"]`, ARRIVES);
    search.forceOpen();
    await page.waitForSelector(`${card("search")}[data-mode="forced-open"]`, ARRIVES);
    new CircuitBreaker({ name: "late", monitor, resetTimeout: 0 }).open();
    await page.waitForSelector(`${card("late")}[data-state="open"]`, ARRIVES);
    await expect
      .poll(() => page.locator(`${card("late")} [data-field="trial"]`).textContent(), ARRIVES)
      .toBe("next call is a trial");
    // Rates come from successive snapshots over time.
    const calls = setInterval(() => void payments.call(() => "ok").catch(() => undefined), 5);
    cleanups.push(() => {
      clearInterval(calls);
    });
    await expect
      .poll(() => page.locator(`${card("payments")} .rate-calls`).textContent(), ARRIVES)
      .toMatch(/^calls \d/);
    expect(
      await page.locator(`${card("payments")} polyline.line-calls`).getAttribute("points"),
    ).toMatch(/\d/);
    expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(
      true,
    );
    expect(problems).toEqual([]);
  });

  it("runs a control with the token the operator typed", async () => {
    const { origin, payments } = await start({ token: TOKEN });
    await page.goto(`${origin}/`);
    await page.waitForSelector(card("payments"), ARRIVES);
    await page.fill("#token", TOKEN);
    await page.click(`${card("payments")} button[data-action="force-open"]`);
    await page.waitForSelector(`${card("payments")}[data-mode="forced-open"]`, ARRIVES);
    expect(payments.mode).toBe("forced-open");
    await expect.poll(() => page.textContent("#notice"), ARRIVES).toBe("payments: force-open done");
    await page.click(`${card("payments")} button[data-action="reset"]`);
    await page.waitForSelector(
      `${card("payments")}[data-mode="enabled"][data-state="closed"]`,
      ARRIVES,
    );
    expect(payments.toJSON()).toMatchObject({ state: "closed", mode: "enabled" });
    // Kept in memory only: nothing stored, no cookie.
    expect(
      await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]),
    ).toEqual([0, 0, ""]);
    expect(problems).toEqual([]);
  });

  it("shows a control refused without the token or with a wrong one", async () => {
    const { origin, payments } = await start({ token: TOKEN });
    await page.goto(`${origin}/`);
    await page.waitForSelector(card("payments"), ARRIVES);
    await page.click(`${card("payments")} button[data-action="open"]`);
    await page.waitForSelector('#notice[data-kind="error"]', ARRIVES);
    expect(await page.textContent("#notice")).toBe(
      "payments: open refused (401: this control needs Authorization: Bearer <token>)",
    );
    await page.fill("#token", "not-the-token");
    await page.click(`${card("payments")} button[data-action="open"]`);
    await expect
      .poll(() => page.textContent("#notice"), ARRIVES)
      .toBe("payments: open refused (401: the bearer token is not the dashboard's)");
    expect(payments.state).toBe("closed");
    expect(await page.getAttribute(card("payments"), "data-state")).toBe("closed");
    // Chromium itself logs each refused request; nothing else may appear.
    const refused =
      "console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)";
    expect(problems).toEqual([refused, refused]);
  });

  it("hides the controls and the token field when no token is configured", async () => {
    const { origin } = await start();
    await page.goto(`${origin}/`);
    await page.waitForSelector(card("payments"), ARRIVES);
    expect(await page.locator("button").count()).toBe(0);
    expect(await page.locator("#token").count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it("filters the cards by name", async () => {
    const { origin } = await start();
    await page.goto(`${origin}/`);
    await page.waitForSelector(card("payments"), ARRIVES);
    await page.fill("#filter", "INV");
    expect(await page.isVisible(card("inventory:eu/west"))).toBe(true);
    for (const name of ["payments", "search"]) expect(await page.isHidden(card(name))).toBe(true);
    await page.fill("#filter", "no such breaker");
    expect(await page.locator("[data-breaker]:visible").count()).toBe(0);
    expect(await page.textContent("#empty")).toBe("No breaker matches the filter.");
    await page.fill("#filter", "");
    expect(await page.locator("[data-breaker]:visible").count()).toBe(4);
    expect(problems).toEqual([]);
  });

  it("works mounted under a prefix, loaded without a trailing slash", async () => {
    const { origin, payments } = await start({ token: TOKEN, basePath: "/ops/breakers" });
    await page.goto(`${origin}/ops/breakers`);
    await page.waitForSelector(`${card("payments")}[data-state="closed"]`, ARRIVES);
    await page.fill("#token", TOKEN);
    await page.click(`${card("payments")} button[data-action="open"]`);
    await page.waitForSelector(`${card("payments")}[data-state="open"]`, ARRIVES);
    expect(payments.state).toBe("open");
    expect(problems).toEqual([]);
  });
});
