// The quickstart: a flaky async service guarded by a breaker (open after 3 failures, stay open
// 5 seconds), called fourteen times a second apart, printing each outcome and every state change.
// Time is simulated so the demo finishes at once; pass --real to wait in real time.
import { CircuitBreaker, CircuitBreakerError, CircuitBreakerListener } from "../dist/index.js";

const real = process.argv.includes("--real");
let simulated = Date.now();
const clock = { now: () => (real ? Date.now() : simulated) };
const sleep = (ms) =>
  real ? new Promise((resolve) => setTimeout(resolve, ms)) : ((simulated += ms), Promise.resolve());

class LogListener extends CircuitBreakerListener {
  stateChange(breaker, oldState, newState) {
    console.log(`  [state] ${breaker.name}: ${oldState} -> ${newState}`);
  }
}

const breaker = new CircuitBreaker({
  name: "unreliable-service",
  failMax: 3,
  resetTimeout: 5_000,
  listeners: [new LogListener()],
  clock,
});

let failures = 0;
const unreliableService = breaker.protect(async function unreliableService() {
  if (failures < 4) {
    failures += 1;
    // The breaker has not counted this failure yet: it sees the rejection after this returns.
    const note =
      breaker.state === "half-open"
        ? "the trial call: its failure re-opens"
        : `${breaker.failCounter + 1} in a row; ${breaker.failMax} trip`;
    console.log(`  service attempt failed (${note})`);
    throw new Error("simulated network issue");
  }
  return "data retrieved";
});

console.log("--- starting service calls ---");
for (let i = 1; i <= 14; i++) {
  console.log(`call ${i}:`);
  try {
    console.log(`  call succeeded: ${await unreliableService()}`);
  } catch (error) {
    if (error instanceof CircuitBreakerError) {
      const why = error.cause instanceof Error ? ` (tripped by: ${error.cause.message})` : "";
      console.log(
        `  breaker is ${error.state}: call blocked${why}; retry in ${error.retryAfter} ms`,
      );
    } else {
      console.log(`  call failed: ${error.message}`);
    }
  }
  await sleep(1_000);
}
console.log("--- all calls attempted ---");
