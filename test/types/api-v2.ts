// The API of issue 10 (see the README): execute(), protect's signal, fallback and
// isFailureResult options typed from the guarded function, decorators and generators typed as
// they run, and `| undefined` on every option.
import {
  CircuitBreaker,
  CircuitBreakerGroup,
  FailedResultError,
  exponentialBackoff,
  type Guarded,
} from "aiobreaker";
import { expectType, type Equal } from "./expect.js";

const breaker = new CircuitBreaker({ name: "types" });

declare function fetchJson(url: string, init?: { signal?: AbortSignal }): Promise<Response>;
declare const request: { signal: AbortSignal };

export async function execute(): Promise<void> {
  // The context's signal aborts on the caller's signal or on callTimeout.
  const response = await breaker.execute(({ signal }) => fetchJson("/a", { signal }), {
    signal: request.signal,
  });
  expectType<Equal<typeof response, Response>>(true);
  const count = breaker.execute(async (context) => {
    expectType<Equal<typeof context.signal, AbortSignal>>(true);
    await Promise.resolve();
    return 1;
  });
  expectType<Equal<typeof count, Promise<number>>>(true);
  // Options are optional, each of them may be `undefined`.
  await breaker.execute(() => 1);
  await breaker.execute(() => 1, {});
  await breaker.execute(() => 1, {
    signal: undefined,
    fallback: undefined,
    isFailureResult: undefined,
  });
  // The fallback and the result predicate are typed from the function's result.
  await breaker.execute(({ signal }) => fetchJson("/a", { signal }), {
    fallback: (error) => {
      expectType<Equal<typeof error, unknown>>(true);
      return Response.error();
    },
    isFailureResult: (result) => {
      expectType<Equal<typeof result, Response>>(true);
      return result.status >= 500;
    },
  });
  await breaker.execute(() => 1, { fallback: async () => 0 });
  // @ts-expect-error -- a fallback for a number cannot answer with a string
  await breaker.execute(() => 1, { fallback: () => "none" });
  // @ts-expect-error -- the signal is an AbortSignal
  await breaker.execute(() => 1, { signal: "abort" });
  // @ts-expect-error -- null is refused: leave the option out, or give undefined
  await breaker.execute(() => 1, { signal: null });
}

async function search(q: string): Promise<string[]> {
  await Promise.resolve();
  return [q];
}

export async function protectOptions(): Promise<void> {
  // The fallback gets the function's parameters and returns its result type.
  const guarded = breaker.protect(search, {
    fallback: (error, q) => {
      expectType<Equal<typeof error, unknown>>(true);
      expectType<Equal<typeof q, string>>(true);
      return [];
    },
  });
  expectType<Equal<ReturnType<typeof guarded>, Promise<string[]>>>(true);
  breaker.protect(search, { fallback: async (_error, q) => [q] });
  // @ts-expect-error -- a fallback for search cannot answer with a number
  breaker.protect(search, { fallback: () => 42 });
  // @ts-expect-error -- search takes one string: the fallback cannot ask for a number
  breaker.protect(search, { fallback: (_error: unknown, q: number) => [String(q)] });

  // The result predicate sees the awaited result.
  breaker.protect(fetchJson, {
    isFailureResult: (result) => {
      expectType<Equal<typeof result, Response>>(true);
      return result.status >= 500;
    },
  });
  // @ts-expect-error -- a Response has no `code`
  breaker.protect(fetchJson, { isFailureResult: (result) => result.code === 503 });

  // signal: "last": the caller passes an AbortSignal or undefined in the last position.
  const getUser = breaker.protect(
    (id: string, signal: AbortSignal) => fetchJson(`/users/${id}`, { signal }),
    { signal: "last" },
  );
  const user = await getUser("42", request.signal);
  expectType<Equal<typeof user, Response>>(true);
  await getUser("42", undefined);
  // @ts-expect-error -- the last argument is a signal
  await getUser("42", "signal");

  // Every option accepts undefined.
  breaker.protect(search, {
    ignoreOnCall: undefined,
    fallback: undefined,
    isFailureResult: undefined,
    signal: undefined,
  });
  // @ts-expect-error -- "last" is the one placement of the signal
  breaker.protect(search, { signal: "first" });
}

export function generators(): void {
  // A guarded call always answers with a promise; a generator result comes guarded inside it.
  const numbers = breaker.protect(function* () {
    yield 1;
  });
  expectType<Equal<ReturnType<typeof numbers>, Promise<Generator<number, void, unknown>>>>(true);
  const makesGenerator = (): Generator<string, number, undefined> => {
    throw new Error("not run");
  };
  expectType<
    Equal<ReturnType<Guarded<typeof makesGenerator>>, Promise<Generator<string, number, undefined>>>
  >(true);
  expectType<Equal<Parameters<Guarded<(n: number) => Generator<number>>>, [n: number]>>(true);
}

declare const methodContext: ClassMethodDecoratorContext<Sync, (id: number) => number>;

class Sync {
  id(value: number): number {
    return value;
  }

  // @ts-expect-error -- the decorated method returns a promise, so a synchronous one cannot keep its type
  @breaker.protect
  twice(value: number): number {
    return value * 2;
  }

  @breaker.protect({ signal: "last" })
  async load(id: string, signal: AbortSignal): Promise<Response> {
    return fetchJson(`/items/${id}`, { signal });
  }

  @breaker.protect
  parse(text: string): Promise<number> {
    return Promise.resolve(Number(text));
  }
}

export function decorators(): void {
  // The decorator's own answer for a synchronous method is a promise of its result.
  const decorated = breaker.protect(Sync.prototype.id, methodContext);
  expectType<Equal<ReturnType<typeof decorated>, Promise<number>>>(true);
  expectType<Equal<ReturnType<Sync["parse"]>, Promise<number>>>(true);
}

export function failedResults(error: unknown): void {
  if (error instanceof FailedResultError) {
    expectType<Equal<typeof error.name, "FailedResultError">>(true);
    expectType<Equal<typeof error.result, unknown>>(true);
  }
}

// Every option takes undefined (not given: the default), and refuses null.
new CircuitBreaker({
  name: undefined,
  exclude: undefined,
  listeners: undefined,
  storage: undefined,
  clock: undefined,
  onListenerError: undefined,
  monitor: undefined,
  initialState: undefined,
  isFailureResult: undefined,
  failMax: undefined,
  resetTimeout: undefined,
  window: undefined,
  callTimeout: undefined,
  fallback: undefined,
});
new CircuitBreaker({
  isFailureResult: (result) => result instanceof Response && result.status >= 500,
});
breaker.reconfigure({ isFailureResult: undefined });
new CircuitBreakerGroup({ name: "hosts", maxKeys: undefined, idleTimeout: undefined });
exponentialBackoff({
  initial: undefined,
  max: undefined,
  multiplier: undefined,
  jitter: undefined,
  random: undefined,
});
// @ts-expect-error -- null is refused for every option
new CircuitBreaker({ name: null });
// @ts-expect-error -- null is refused for every option
new CircuitBreaker({ failMax: null });
