// The dashboard demo: simulated services whose dependencies fail and recover on a schedule, each
// guarded by a breaker in one monitor, called every few milliseconds, served live by
// aiobreaker/dashboard on a free localhost port. Runs until Ctrl-C; `--for <seconds>` stops it by
// itself, `--port <n>` picks the port, `--token <t>` the control token (one is made otherwise).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { parseArgs } from "node:util";
import { CircuitBreaker, CircuitBreakerMonitor, exponentialBackoff } from "../dist/index.js";
import { createDashboard } from "../dist/dashboard/index.js";

const { values } = parseArgs({
  options: { for: { type: "string" }, port: { type: "string" }, token: { type: "string" } },
});
const seconds = values.for === undefined ? undefined : Number(values.for);
if (seconds !== undefined && !(seconds > 0)) {
  console.error(`--for takes a number of seconds > 0, got ${JSON.stringify(values.for)}`);
  process.exit(2);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port takes a port number, got ${JSON.stringify(values.port)}`);
  process.exit(2);
}
const token = values.token ?? randomBytes(18).toString("base64url");

const started = Date.now();
/** Seconds into a repeating cycle of `length` seconds. */
const phase = (length) => ((Date.now() - started) / 1000) % length;
// The call's signal aborts at search's callTimeout: the simulated request stops there too.
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

// Each dependency: how likely a call fails and how long it takes, as time goes by.
const services = [
  {
    // A payment provider with a 10-second outage every 40 seconds.
    breaker: { name: "payments", failMax: 5, resetTimeout: 4_000 },
    every: 20,
    health: () =>
      phase(40) >= 12 && phase(40) < 22
        ? { failRate: 1, latency: 30 }
        : { failRate: 0.02, latency: 25 },
  },
  {
    // A search cluster that slows down, then times out, for a while every 50 seconds.
    breaker: {
      name: "search",
      window: { duration: 10_000, buckets: 10 },
      failureRateThreshold: 50,
      minimumCalls: 20,
      slowCallDuration: 150,
      slowCallRateThreshold: 80,
      callTimeout: 300,
      successThreshold: 5,
      resetTimeout: exponentialBackoff({ initial: 2_000, max: 16_000 }),
    },
    every: 10,
    health: () =>
      phase(50) >= 25 && phase(50) < 38
        ? { failRate: 0.3, latency: 400 }
        : { failRate: 0.05, latency: 40 },
  },
  {
    // A regional inventory service that flaps.
    breaker: { name: "inventory:eu", failMax: 3, resetTimeout: 3_000 },
    every: 15,
    health: () =>
      phase(30) >= 5 && phase(30) < 13
        ? { failRate: 0.7, latency: 20 }
        : { failRate: 0.01, latency: 15 },
  },
  {
    breaker: { name: "inventory:us", window: { calls: 100 }, minimumCalls: 20 },
    every: 15,
    health: () => ({ failRate: 0.03, latency: 15 }),
  },
  {
    // Under maintenance: forced open from the start (enable it from the page).
    breaker: { name: "recommendations/v2", failMax: 5, resetTimeout: 5_000 },
    every: 25,
    health: () => ({ failRate: 0.05, latency: 30 }),
    forceOpen: true,
  },
];

const monitor = new CircuitBreakerMonitor();
const timers = services.map((service) => {
  const breaker = new CircuitBreaker({ ...service.breaker, monitor });
  if (service.forceOpen) breaker.forceOpen();
  const dependency = async ({ signal }) => {
    const { failRate, latency } = service.health();
    await sleep(latency * (0.5 + Math.random()), signal);
    if (Math.random() < failRate) throw new Error(`${breaker.name} dependency failed`);
  };
  return setInterval(() => {
    // Outcomes are what the dashboard shows; the demo's callers have nothing to do with them.
    breaker.execute(dependency).catch(() => {});
  }, service.every);
});

const dashboard = createDashboard({ monitor, token });
const server = createServer(dashboard);
server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address();
  console.log(`aiobreaker dashboard: http://127.0.0.1:${bound}/`);
  console.log(`control token: ${token}`);
  console.log(seconds === undefined ? "Ctrl-C to stop" : `stopping by itself in ${seconds} s`);
});

let stopTimer;
function stop() {
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  clearTimeout(stopTimer);
  for (const timer of timers) clearInterval(timer);
  dashboard.close();
  server.close(() => console.log("stopped"));
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (seconds !== undefined) stopTimer = setTimeout(stop, seconds * 1000);
