// CommonJS: require("aiobreaker") loads the ES module synchronously (require(esm): Node >= 20.19,
// Bun). It must be the same module that `import` loads, so that `instanceof` holds across both.
"use strict";
const aiobreaker = require("aiobreaker");
const { CircuitBreaker, CircuitBreakerError } = aiobreaker;

function check(condition, what) {
  if (!condition) throw new Error(`require smoke check failed: ${what}`);
}

async function main() {
  check(typeof CircuitBreaker === "function", "CircuitBreaker is a class");
  const imported = await import("aiobreaker");
  check(imported.CircuitBreaker === CircuitBreaker, "require and import give the same module");

  const breaker = new CircuitBreaker({ name: "cjs", failMax: 1, resetTimeout: 60_000 });
  check((await breaker.call((n) => n + 1, 1)) === 2, "a call answers with the result");
  let tripped;
  try {
    await breaker.call(() => Promise.reject(new Error("down")));
  } catch (error) {
    tripped = error;
  }
  check(tripped instanceof CircuitBreakerError, "the trip raises CircuitBreakerError");
  check(tripped instanceof imported.CircuitBreakerError, "... the class import gives");
  check(breaker.state === "open", "the breaker is open");
  console.log("require smoke: passed");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
