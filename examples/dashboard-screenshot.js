// Takes the README's screenshot of the dashboard demo (docs/dashboard.png): starts
// `examples/dashboard.js`, opens its page in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core), enters the token, lets a minute of history build up and waits
// until a breaker is open, then captures the page. Build first: npm run build.
// Usage: node examples/dashboard-screenshot.js [output.png] [--wait <seconds>]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { wait: { type: "string", default: "60" } },
});
const output = positionals[0] ?? "docs/dashboard.png";
const waitSeconds = Number(values.wait);

const demo = spawn(process.execPath, ["examples/dashboard.js", "--for", String(waitSeconds + 60)], {
  stdio: ["ignore", "pipe", "inherit"],
});
const lines = createInterface({ input: demo.stdout });
let url;
let token;
for await (const line of lines) {
  url ??= /(http:\/\/\S+)/.exec(line)?.[1];
  token ??= /^control token: (\S+)/.exec(line)?.[1];
  if (url !== undefined && token !== undefined) break;
}
if (url === undefined || token === undefined) throw new Error("the demo printed no URL and token");

const browser = await chromium.launch({
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
try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  await page.goto(url);
  await page.fill("#token", token);
  await page.waitForTimeout(waitSeconds * 1000);
  await page.waitForSelector('[data-state="open"][data-mode="enabled"]', { timeout: 60_000 });
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  demo.kill("SIGINT");
  await once(demo, "exit");
}
