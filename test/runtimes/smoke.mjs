// A runtime-neutral check of the built package (dist/): no Node API, no test framework, so the
// same file runs on Node, Bun, Deno and in a browser. It resolves with the number of checks that
// passed and rejects at the first one that fails.
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerError,
  CircuitBreakerGroup,
  CircuitBreakerMonitor,
  exponentialBackoff,
  parseRetryAfter,
} from "../../dist/index.js";

let checks = 0;
function check(condition, what) {
  if (!condition) throw new Error(`runtime smoke check failed: ${what}`);
  checks++;
}
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

export async function smoke() {
  const time = { now: 1_000 };
  const clock = { now: () => time.now };
  const changes = [];
  const breaker = new CircuitBreaker({
    name: "svc",
    failMax: 2,
    resetTimeout: 500,
    clock,
    listeners: [{ stateChange: (_b, from, to) => changes.push(`${from}->${to}`) }],
  });
  const down = () => Promise.reject(new Error("down"));

  check((await breaker.call(async (x) => x * 2, 21)) === 42, "a closed call returns its value");
  check((await breaker.protect((x) => x + 1)(1)) === 2, "a protected function returns its value");
  await rejection(breaker.call(down));
  const trip = await rejection(breaker.call(down));
  check(
    trip instanceof CircuitBreakerError && trip.cause instanceof Error,
    "the second failure trips",
  );
  check(
    breaker.state === "open" && breaker.retryAt === 1_500,
    "open until openedAt + resetTimeout",
  );
  const refused = await rejection(breaker.call(async () => "never"));
  check(refused instanceof CircuitBreakerError && refused.retryAfter === 500, "open rejects");
  time.now = 1_500;
  check((await breaker.call(async () => "trial")) === "trial", "a trial call after the timeout");
  check(changes.join(",") === "closed->open,open->half-open,half-open->closed", "state changes");

  const restored = new CircuitBreaker({ name: "svc", clock, initialState: breaker.toJSON() });
  check(restored.state === "closed", "toJSON / initialState round trip");

  const windowed = new CircuitBreaker({ window: { calls: 4 }, minimumCalls: 4, clock });
  for (const fn of [async () => 1, down, async () => 2, down]) await rejection(windowed.call(fn));
  check(windowed.state === "open" && windowed.metrics.failureRate === 50, "a count window trips");

  const timed = new CircuitBreaker({ callTimeout: 20 });
  let aborted = false;
  const slow = (context) =>
    new Promise((resolve) => {
      context.signal.addEventListener("abort", () => {
        aborted = true;
        resolve("late");
      });
    });
  const timeout = await rejection(timed.execute(slow));
  check(timeout instanceof CallTimeoutError && aborted, "callTimeout fails the call and aborts it");

  const controller = new AbortController();
  const pending = rejection(
    breaker.execute(() => new Promise(() => undefined), { signal: controller.signal }),
  );
  controller.abort(new Error("caller gave up"));
  check((await pending)?.message === "caller gave up", "a caller's abort ends the call");

  const monitor = new CircuitBreakerMonitor();
  const group = new CircuitBreakerGroup({ name: "hosts", monitor, failMax: 1 });
  await rejection(group.get("a.example").call(down));
  check(monitor.getOpen().length === 1 && group.get("b.example").state === "closed", "groups");

  const backoff = exponentialBackoff({ initial: 100, max: 1_000, jitter: "none" });
  check(backoff(1) === 100 && backoff(3) === 400 && backoff(9) === 1_000, "exponential backoff");
  check(
    parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 7)) === 30_000,
    "Retry-After",
  );
  return checks;
}
