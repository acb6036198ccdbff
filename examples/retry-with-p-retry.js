// Retries around a breaker with p-retry 6 (docs/recipes.md). Run: npm run build && node examples/retry-with-p-retry.js
import pRetry, { AbortError } from "p-retry";
import { CircuitBreaker, CircuitBreakerError } from "aiobreaker";

/**
 * Runs `fn({ signal })` through `breaker.execute`, retrying its failures with p-retry's backoff;
 * `signal` aborts on `options.signal` or at the breaker's `callTimeout`. A rejection by the
 * breaker is retried only if the breaker admits a trial within `maxWait` ms: the next attempt
 * then waits for it. Otherwise the retries stop, and the caller gets the CircuitBreakerError.
 */
export function retryThroughBreaker(breaker, fn, options = {}) {
  const { retries = 5, minTimeout = 1_000, maxWait = 5_000, signal } = options;
  return pRetry(
    async () => {
      try {
        return await breaker.execute(fn, { signal });
      } catch (error) {
        const waitable =
          error instanceof CircuitBreakerError &&
          error.retryAfter !== undefined &&
          error.retryAfter <= maxWait;
        // AbortError stops p-retry, which then rejects with the error inside it.
        if (error instanceof CircuitBreakerError && !waitable) throw new AbortError(error);
        throw error;
      }
    },
    {
      retries,
      minTimeout,
      signal,
      // Reached only by failures and by rejections worth waiting for.
      onFailedAttempt: async (error) => {
        if (error instanceof CircuitBreakerError) await error.waitUntilRetry(signal);
      },
    },
  );
}

// The demo: two services behind their own breakers, each outcome printed as the breaker sees it.

/** A service that fails its first `failures` calls, then answers. */
function flakyService(name, failures) {
  let calls = 0;
  return async function service() {
    calls += 1;
    if (calls <= failures) throw new Error(`${name} is down (call ${calls})`);
    return `${name}: 42 in stock`;
  };
}

const log = {
  failure: (breaker, error) => console.log(`  [${breaker.name}] failure: ${error.message}`),
  stateChange: (breaker, from, to) => console.log(`  [${breaker.name}] ${from} -> ${to}`),
};

console.log("recovers: the breaker opens for 200 ms, the retries wait for its trial");
const inventory = new CircuitBreaker({
  name: "inventory",
  failMax: 2,
  resetTimeout: 200,
  listeners: [log],
});
const stock = await retryThroughBreaker(inventory, flakyService("inventory", 3), {
  minTimeout: 20,
  maxWait: 1_000,
});
console.log(`  result: ${stock}`);

console.log("gives up: the breaker opens for 60 s, longer than the retries will wait");
const pricing = new CircuitBreaker({
  name: "pricing",
  failMax: 2,
  resetTimeout: 60_000,
  listeners: [log],
});
try {
  await retryThroughBreaker(pricing, flakyService("pricing", Infinity), {
    minTimeout: 20,
    maxWait: 1_000,
  });
} catch (error) {
  if (!(error instanceof CircuitBreakerError)) throw error;
  console.log(
    `  gave up with ${error.name}, state ${pricing.state}, cause: ${error.cause.message}`,
  );
}
