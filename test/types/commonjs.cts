// A CommonJS consumer (a .cts file compiles to require()): needs TypeScript >= 5.8, which lets
// `module: nodenext` code require an ES module, as Node >= 20.19 does.
import { CircuitBreaker, CircuitBreakerError } from "aiobreaker";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS form under test
import aiobreaker = require("aiobreaker");

const breaker = new CircuitBreaker({ name: "commonjs", failMax: 2 });

export async function run(): Promise<number> {
  try {
    return await breaker.call(async (n: number) => n + 1, 1);
  } catch (error) {
    if (error instanceof aiobreaker.CircuitBreakerError && error instanceof CircuitBreakerError) {
      return -1;
    }
    throw error;
  }
}
