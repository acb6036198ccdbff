// What `call` and `callSync` promise a caller, in types.
import { CircuitBreaker, CircuitBreakerError } from "aiobreaker";
import { expectType, type Equal } from "./expect.js";

const breaker = new CircuitBreaker({ name: "types" });

async function findUser(id: number, fields?: readonly string[]): Promise<{ id: number }> {
  await Promise.resolve(fields);
  return { id };
}

export async function calls(): Promise<void> {
  // Always a promise of the awaited result, for async and sync functions alike.
  const user = await breaker.call(findUser, 42);
  expectType<Equal<typeof user, { id: number }>>(true);
  expectType<Equal<ReturnType<typeof breaker.call<[number], number>>, Promise<number>>>(true);
  const doubled = breaker.call((n: number) => n * 2, 21);
  expectType<Equal<typeof doubled, Promise<number>>>(true);
  const nested = breaker.call(() => Promise.resolve(Promise.resolve("deep")));
  expectType<Equal<typeof nested, Promise<string>>>(true);

  // The arguments are the function's own: optional ones may be left out, nothing else goes.
  await breaker.call(findUser, 42, ["name"]);
  // @ts-expect-error -- findUser takes a number
  await breaker.call(findUser, "42");
  // @ts-expect-error -- findUser's id is required
  await breaker.call(findUser);
  // @ts-expect-error -- findUser takes two parameters at most
  await breaker.call(findUser, 42, ["name"], "extra");

  // An object argument with a `signal` key is the function's own argument.
  const kill = (target: { pid: number; signal: string }) => target.pid;
  const killed = await breaker.call(kill, { pid: 123, signal: "SIGTERM" });
  expectType<Equal<typeof killed, number>>(true);

  // callSync answers synchronously with the function's own return type.
  const sum = breaker.callSync((a: number, b: number) => a + b, 1, 2);
  expectType<Equal<typeof sum, number>>(true);
  // @ts-expect-error -- callSync passes the function's own parameters
  breaker.callSync((a: number) => a, "1");

  try {
    await breaker.call(findUser, 1);
  } catch (error) {
    if (error instanceof CircuitBreakerError) {
      expectType<Equal<typeof error.name, "CircuitBreakerError">>(true);
      expectType<Equal<typeof error.retryAt, number | undefined>>(true);
      expectType<Equal<typeof error.retryAfter, number | undefined>>(true);
      expectType<Equal<typeof error.breaker, string | undefined>>(true);
      expectType<Equal<ReturnType<typeof error.waitUntilRetry>, Promise<void>>>(true);
      await error.waitUntilRetry(AbortSignal.timeout(1_000));
    }
  }
}
