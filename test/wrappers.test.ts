import { describe, expect, it } from "vitest";
import ts from "typescript";
import { CircuitBreaker, CircuitBreakerError } from "../src/index.js";

describe("protect", () => {
  it("keeps this, name and length and returns a promise", async () => {
    const breaker = new CircuitBreaker();
    const target = {
      factor: 3,
      times(this: { factor: number }, x: number, _unused?: number) {
        return this.factor * x;
      },
    };
    const guarded = breaker.protect(target.times);
    expect(guarded.name).toBe("times");
    expect(guarded.length).toBe(2);
    const result = guarded.call(target, 4);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(12);
  });

  it("call(guarded) counts once by default, twice with ignoreOnCall: false", async () => {
    const breaker = new CircuitBreaker({ failMax: 10 });
    const failing = () => Promise.reject(new Error("x"));
    await breaker.call(breaker.protect(failing)).catch(() => undefined);
    expect(breaker.failCounter).toBe(1);
    await breaker.call(breaker.protect(failing, { ignoreOnCall: false })).catch(() => undefined);
    expect(breaker.failCounter).toBe(3);
    const other = new CircuitBreaker({ failMax: 10 });
    await breaker.call(other.protect(failing)).catch(() => undefined);
    expect(breaker.failCounter).toBe(4);
    expect(other.failCounter).toBe(1);
  });

  it("rejects bad input with a clear error", () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.protect(42 as never)).toThrow(/protect expects a function, got 42/);
    expect(() => breaker.protect(() => 1, 5 as never)).toThrow(/options must be an object/);
    expect(() => breaker.protect(() => 1, { ignoreOnCall: "yes" as never })).toThrow(
      /ignoreOnCall must be a boolean, got "yes"/,
    );
    expect(() => breaker.protect({ ignoreOnCall: 1 as never })).toThrow(/ignoreOnCall/);
  });

  // Node 20 and the test transform do not run decorator syntax, so the decorated classes are
  // compiled by TypeScript itself, as a user's build would, once per decorator flavour.
  it.each([
    ["standard (TC39)", false],
    ["legacy (experimentalDecorators)", true],
  ])("works as a %s decorator compiled by TypeScript", async (_flavour, experimentalDecorators) => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    const source = `
      const breaker = (globalThis as any).__aiobreakerTest;
      export class Repo {
        calls = 0;
        @breaker.protect
        async find(id: number): Promise<string> {
          this.calls++;
          if (id < 0) throw new Error("bad id");
          return "user " + id;
        }
      }`;
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        experimentalDecorators,
      },
    });
    expect(outputText.includes("__esDecorate")).toBe(!experimentalDecorators);
    (globalThis as Record<string, unknown>)["__aiobreakerTest"] = breaker;
    try {
      const module = (await import(`data:text/javascript,${encodeURIComponent(outputText)}`)) as {
        Repo: new () => { calls: number; find(id: number): Promise<string> };
      };
      const repo = new module.Repo();
      expect(repo.find.name).toBe("find");
      expect(await repo.find(1)).toBe("user 1");
      await expect(repo.find(-1)).rejects.toBeInstanceOf(CircuitBreakerError);
      await expect(repo.find(2)).rejects.toBeInstanceOf(CircuitBreakerError);
      expect(repo.calls).toBe(2);
    } finally {
      delete (globalThis as Record<string, unknown>)["__aiobreakerTest"];
    }
  });

  it("works as a legacy decorator and as a decorator factory", async () => {
    const breaker = new CircuitBreaker({ failMax: 5 });
    const proto = {
      value: 2,
      double(this: { value: number }) {
        return Promise.reject(new Error(String(this.value)));
      },
    };
    const descriptor = Object.getOwnPropertyDescriptor(proto, "double")!;
    const decorated = breaker.protect(proto, "double", descriptor);
    expect(decorated.enumerable).toBe(true);
    await expect((decorated.value as () => Promise<number>).call(proto)).rejects.toThrow("2");
    expect(breaker.failCounter).toBe(1);
    expect(() =>
      breaker.protect(proto, "value", Object.getOwnPropertyDescriptor(proto, "value")!),
    ).toThrow(/decorates methods/);

    const decorate = breaker.protect({ ignoreOnCall: false });
    const guarded = decorate(() => Promise.reject(new Error("f")));
    await breaker.call(guarded).catch(() => undefined);
    expect(breaker.failCounter).toBe(3);
    expect(() =>
      (decorate as (fn: unknown, context: unknown) => unknown)(() => 1, "not a context"),
    ).toThrow(/returns a decorator/);
  });
});

describe("generators", () => {
  it("sync: exhaustion is a success, values and return pass through", async () => {
    const breaker = new CircuitBreaker();
    breaker.halfOpen();
    const gen = breaker.protect(function* count(n: number) {
      for (let i = 0; i < n; i++) yield i;
      return "done";
    });
    const it = await gen(2);
    expect([it.next().value, it.next().value]).toEqual([0, 1]);
    expect(breaker.state).toBe("half-open");
    expect(it.next()).toEqual({ value: "done", done: true });
    expect(breaker.state).toBe("closed");
  });

  it("sync: an error while iterating is a failure and can trip; a refusal rejects the call", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    const gen = breaker.protect(function* broken() {
      yield 1;
      throw new Error("mid");
    });
    const it = await gen();
    it.next();
    let caught: unknown;
    try {
      it.next();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CircuitBreakerError);
    expect((caught as Error).cause).toEqual(new Error("mid"));
    await expect(gen()).rejects.toBeInstanceOf(CircuitBreakerError);
  });

  it("sync: return() records neither outcome and frees the trial slot; throw() reaches the inner", async () => {
    const breaker = new CircuitBreaker();
    const seen: string[] = [];
    const gen = breaker.protect(function* inner() {
      try {
        yield 1;
        yield 2;
      } catch (error) {
        seen.push(`caught ${(error as Error).message}`);
        yield 3;
      } finally {
        seen.push("finally");
      }
    });
    breaker.halfOpen();
    const first = await gen();
    first.next();
    await expect(gen()).rejects.toBeInstanceOf(CircuitBreakerError);
    first.return(undefined);
    expect(seen).toEqual(["finally"]);
    expect(breaker.state).toBe("half-open");
    const second = await gen();
    second.next();
    expect(second.throw(new Error("in")).value).toBe(3);
    expect(seen).toEqual(["finally", "caught in"]);
    expect(second.next().done).toBe(true);
    expect(breaker.state).toBe("closed");
  });

  it("async: exhaustion succeeds, errors fail, return() is neutral", async () => {
    const breaker = new CircuitBreaker({ failMax: 2 });
    const gen = breaker.protect(async function* stream(fail: boolean) {
      yield "a";
      if (fail) throw new Error("stream broke");
      yield "b";
    });
    const values: string[] = [];
    for await (const value of await gen(false)) values.push(value);
    expect(values).toEqual(["a", "b"]);
    await expect(
      (async () => {
        for await (const value of await gen(true)) values.push(value);
      })(),
    ).rejects.toThrow("stream broke");
    expect(breaker.failCounter).toBe(1);
    for await (const value of await gen(true)) {
      expect(value).toBe("a");
      break;
    }
    expect(breaker.failCounter).toBe(1);
    await expect((await gen(true)).next()).resolves.toEqual({ value: "a", done: false });
    expect(breaker.stats).toMatchObject({ successes: 1, failures: 1, neutral: 1 });
  });

  it("a plain function that returns a generator is guarded the same way as a generator function", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    function* inner(fail: boolean) {
      yield 1;
      if (fail) throw new Error("mid");
    }
    const viaArrow = breaker.protect((fail: boolean) => inner(fail));
    expect([...(await viaArrow(false))]).toEqual([1]);
    expect(breaker.stats.successes).toBe(1);
    expect(breaker.stats.failures).toBe(0);
    const failing = await breaker.call(inner, true);
    expect(() => [...failing]).toThrow(CircuitBreakerError);
    expect(breaker.state).toBe("open");
  });
});
