// Retries around a breaker, with p-retry (6.x runs on Node 20): a failure of the service is retried
// with p-retry's backoff; a rejection by the breaker is not retried blindly. When the breaker will
// admit a trial call soon enough (its `retryAfter` is within `maxWait`), the next attempt waits
// for it; otherwise the retries stop at once and the caller gets the CircuitBreakerError.
// Run: npm run build && node examples/retry-with-p-retry.js
import pRetry, { AbortError } from "p-retry";
import { CircuitBreaker, CircuitBreakerError } from "aiobreaker";

/**
 * Runs `fn` through `breaker`, retrying its failures. Gives up with the breaker's
 * CircuitBreakerError when the breaker refuses for longer than `maxWait` ms (or cannot say for
 * how long).
 */
export function retryThroughBreaker(breaker, fn, { retries = 5, maxWait = 1_000, signal } = {}) {
  return pRetry(
    async () => {
      try {
        return await breaker.call(fn);
      } catch (error) {
        if (error instanceof CircuitBreakerError) {
          const soon = error.retryAfter !== undefined && error.retryAfter <= maxWait;
          // AbortError stops p-retry, which then rejects with the error inside it.
          if (!soon) throw new AbortError(error);
        }
        throw error;
      }
    },
    {
      retries,
      minTimeout: 20,
      maxTimeout: 200,
      signal,
      onFailedAttempt: async (error) => {
        console.log(`  attempt ${error.attemptNumber}: ${error.message}`);
        // Only a CircuitBreakerError that is worth waiting for gets here: wait for its retryAt.
        if (error instanceof CircuitBreakerError) await error.waitUntilRetry(signal);
      },
    },
  );
}

/** A service that fails its first `failures` calls, then answers. */
function flakyService(name, failures) {
  let calls = 0;
  return async function inventory() {
    calls += 1;
    if (calls <= failures) throw new Error(`${name} is down (call ${calls})`);
    return `${name}: 42 in stock`;
  };
}

const logStateChanges = {
  stateChange: (breaker, from, to) => console.log(`  [${breaker.name}] ${from} -> ${to}`),
};

console.log("recovers: the breaker opens for 200 ms, the retries wait for its trial");
const shortOutage = new CircuitBreaker({
  name: "inventory",
  failMax: 2,
  resetTimeout: 200,
  listeners: [logStateChanges],
});
console.log(`  result: ${await retryThroughBreaker(shortOutage, flakyService("inventory", 3))}`);

console.log("gives up: the breaker opens for 60 s, longer than the retries will wait");
const longOutage = new CircuitBreaker({
  name: "pricing",
  failMax: 2,
  resetTimeout: 60_000,
  listeners: [logStateChanges],
});
try {
  await retryThroughBreaker(longOutage, flakyService("pricing", Infinity));
} catch (error) {
  if (!(error instanceof CircuitBreakerError)) throw error;
  console.log(
    `  gave up: ${error.name} (${longOutage.state}); it tripped on: ${error.cause.message}`,
  );
}
