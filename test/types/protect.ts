// What `protect` hands back, as a wrapper and as a decorator.
import { CircuitBreaker, type Guarded } from "aiobreaker";
import { expectType, type Equal } from "./expect.js";

const breaker = new CircuitBreaker({ name: "types" });

async function search(query: string, limit?: number): Promise<string[]> {
  await Promise.resolve();
  return [query].slice(0, limit);
}

export async function wrappers(): Promise<void> {
  // The guarded function keeps the parameters, optional ones included, and returns a promise.
  const guarded = breaker.protect(search);
  expectType<Equal<Parameters<typeof guarded>, [query: string, limit?: number | undefined]>>(true);
  expectType<Equal<ReturnType<typeof guarded>, Promise<string[]>>>(true);
  expectType<Equal<Parameters<Guarded<typeof search>>, Parameters<typeof search>>>(true);
  await guarded("q");
  await guarded("q", 3);
  // @ts-expect-error -- the query is a string
  await guarded(1);

  // A synchronous function's guarded form is a promise of its result.
  const parse = breaker.protect((text: string) => Number(text));
  expectType<Equal<ReturnType<typeof parse>, Promise<number>>>(true);
  expectType<Equal<ReturnType<Guarded<() => Promise<boolean>>>, Promise<boolean>>>(true);

  // `this` is kept.
  const counter = {
    count: 0,
    bump: breaker.protect(function (this: { count: number }, by: number) {
      return (this.count += by);
    }),
  };
  const bumped = await counter.bump(2);
  expectType<Equal<typeof bumped, number>>(true);
  const detached = counter.bump;
  // @ts-expect-error -- a method that needs its `this` cannot be called bare
  await detached(1);

  // Options.
  breaker.protect(search, { ignoreOnCall: false });
  // @ts-expect-error -- an unknown option is refused
  breaker.protect(search, { timeout: 100 });
  // @ts-expect-error -- only functions can be guarded
  breaker.protect(42);
}

export class Repository {
  @breaker.protect
  async find(id: number): Promise<{ id: number }> {
    await Promise.resolve();
    return { id };
  }

  @breaker.protect({ ignoreOnCall: false })
  async list(): Promise<number[]> {
    await Promise.resolve();
    return [];
  }

  @breaker.protect
  static async count(): Promise<number> {
    await Promise.resolve();
    return 0;
  }
}

export async function decorated(): Promise<void> {
  const repository = new Repository();
  const found = await repository.find(1);
  expectType<Equal<typeof found, { id: number }>>(true);
  const listed = await repository.list();
  expectType<Equal<typeof listed, number[]>>(true);
  const counted = await Repository.count();
  expectType<Equal<typeof counted, number>>(true);
}
