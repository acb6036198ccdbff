import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerError, type NeutralReason } from "../src/index.js";

const clockAt = (time: { now: number }) => ({ now: () => time.now });

/** A breaker that has tripped and whose reset timeout has passed: the next call is a trial. */
function dueForTrial(options: { halfOpenMaxCalls?: number; failMax?: number } = {}) {
  const time = { now: 0 };
  const breaker = new CircuitBreaker({
    failMax: 1,
    resetTimeout: 1_000,
    halfOpenTimeout: 50,
    clock: clockAt(time),
    ...options,
  });
  breaker.open();
  time.now = 1_000;
  return { breaker, time };
}

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("protected generators and half-open trial slots", () => {
  it("sync: a generator created while a trial is due but never iterated holds no slot", async () => {
    const { breaker, time } = dueForTrial();
    const rows = breaker.protect(function* rows() {
      yield 1;
    });
    const unused = await rows();
    expect(breaker.state).toBe("half-open");
    time.now = 1_000_000;
    expect(await breaker.call(() => Promise.resolve("ok"))).toBe("ok");
    expect(breaker.state).toBe("closed");
    expect(unused.next()).toEqual({ value: 1, done: false });
  });

  it("async: a generator created while a trial is due but never iterated holds no slot", async () => {
    const { breaker } = dueForTrial();
    const stream = breaker.protect(async function* stream() {
      yield await Promise.resolve(1);
    });
    await stream();
    expect(breaker.callSync(() => "sync ok")).toBe("sync ok");
    expect(breaker.state).toBe("closed");
  });

  it("sync: the slot is taken by the first next(); a second generator's first step is refused", async () => {
    const { breaker } = dueForTrial();
    const ran: string[] = [];
    const gen = breaker.protect(function* named(name: string) {
      ran.push(name);
      yield name;
    });
    const first = await gen("first");
    const second = await gen("second");
    expect(first.next()).toEqual({ value: "first", done: false });
    const refused = thrownBy(() => second.next());
    expect(refused).toBeInstanceOf(CircuitBreakerError);
    expect((refused as Error).message).toMatch(/all 1 trial slots taken/);
    expect(second.next()).toEqual({ value: undefined, done: true });
    expect(ran).toEqual(["first"]);
    expect(first.next().done).toBe(true);
    expect(breaker.state).toBe("closed");
  });

  it("async: the slot is taken by the first next(); a second generator's first step is refused", async () => {
    const { breaker } = dueForTrial();
    const ran: string[] = [];
    const gen = breaker.protect(async function* named(name: string) {
      ran.push(name);
      yield await Promise.resolve(name);
      throw new Error(`${name} broke`);
    });
    const first = await gen("first");
    const second = await gen("second");
    expect(await first.next()).toEqual({ value: "first", done: false });
    await expect(second.next()).rejects.toThrow(/all 1 trial slots taken/);
    expect(ran).toEqual(["first"]);
    await expect(first.next()).rejects.toThrow(CircuitBreakerError);
    expect(breaker.state).toBe("open");
  });

  it("the first next() is refused when the breaker re-opened after creation", async () => {
    const { breaker } = dueForTrial();
    let ran = false;
    const gen = breaker.protect(function* body() {
      ran = true;
      yield 1;
    });
    const it = await gen();
    breaker.open();
    expect(() => it.next()).toThrow(/is open/);
    expect(ran).toBe(false);
  });

  it("a generator admitted half-open and started after the breaker closed runs as a closed call", async () => {
    const { breaker } = dueForTrial({ failMax: 2 });
    const gen = breaker.protect(function* broken() {
      yield 1;
      throw new Error("mid");
    });
    const it = await gen();
    breaker.close();
    it.next();
    expect(() => it.next()).toThrow("mid");
    expect(breaker.state).toBe("closed");
    expect(breaker.failCounter).toBe(1);
  });

  it("throw() or return() before the first next() takes no slot and records nothing", async () => {
    const { breaker } = dueForTrial();
    const neutral: NeutralReason[] = [];
    breaker.addListener({ neutral: (_b, reason) => neutral.push(reason) });
    let ran = false;
    const gen = breaker.protect(function* body() {
      ran = true;
      yield 1;
    });
    const thrown = await gen();
    const returned = await gen();
    expect(() => thrown.throw(new Error("consumer"))).toThrow("consumer");
    expect(returned.return(undefined)).toEqual({ value: undefined, done: true });
    expect(ran).toBe(false);
    expect(breaker.failCounter).toBe(0);
    expect(neutral).toEqual([]);
    const trial = await gen();
    trial.next();
    trial.return(undefined);
    expect(neutral).toEqual(["stopped"]);
    expect(breaker.state).toBe("half-open");
    expect(breaker.callSync(() => 1)).toBe(1);
    expect(breaker.state).toBe("closed");
  });

  it("closed: a generator admitted closed runs after a trip, and its outcome decides nothing", async () => {
    const breaker = new CircuitBreaker({ failMax: 1 });
    const gen = breaker.protect(function* body() {
      yield 1;
    });
    const it = await gen();
    breaker.open();
    await expect(gen()).rejects.toBeInstanceOf(CircuitBreakerError);
    expect([...it]).toEqual([1]);
    expect(breaker.state).toBe("open");
  });
});

describe("legacy (experimentalDecorators) decorators", () => {
  it("a static method, called as TypeScript's legacy emit calls it", async () => {
    const breaker = new CircuitBreaker({ failMax: 5 });
    class Repo {
      static factor = 2;
      static find(this: typeof Repo, id: number): Promise<number> {
        return id < 0 ? Promise.reject(new Error("bad id")) : Promise.resolve(this.factor * id);
      }
    }
    // __decorate([breaker.protect], Repo, "find", null) reads the descriptor, then passes it.
    const descriptor = Object.getOwnPropertyDescriptor(Repo, "find")!;
    const decorated = breaker.protect(Repo, "find", descriptor);
    expect(decorated).toMatchObject({ writable: true, enumerable: false, configurable: true });
    Object.defineProperty(Repo, "find", decorated);
    expect(Repo.find.name).toBe("find");
    expect(await Repo.find(3)).toBe(6);
    await expect(Repo.find(-1)).rejects.toThrow("bad id");
    expect(breaker.failCounter).toBe(1);

    const key = Symbol("find");
    const bySymbol = breaker.protect(Repo, key, { value: Repo.find, writable: true });
    expect(typeof bySymbol.value).toBe("function");
    expect(() =>
      breaker.protect(Repo, "factor", Object.getOwnPropertyDescriptor(Repo, "factor")!),
    ).toThrow(/@protect decorates methods; "factor" is 2/);
  });

  it("protect(options) on instance and static methods, as the legacy emit calls it", async () => {
    const breaker = new CircuitBreaker({ failMax: 10 });
    const failing = () => Promise.reject(new Error("f"));
    class Repo {
      find(): Promise<never> {
        return failing();
      }
      static find(): Promise<never> {
        return failing();
      }
    }
    const decorate = breaker.protect({ ignoreOnCall: false });
    const onInstance = decorate(
      Repo.prototype,
      "find",
      Object.getOwnPropertyDescriptor(Repo.prototype, "find")!,
    );
    const onStatic = decorate(Repo, "find", Object.getOwnPropertyDescriptor(Repo, "find")!);
    for (const guarded of [onInstance.value, onStatic.value] as (() => Promise<never>)[]) {
      // ignoreOnCall: false counts both the wrapper and the call around it.
      await breaker.call(guarded).catch(() => undefined);
    }
    expect(breaker.failCounter).toBe(4);
    expect(() =>
      decorate(Repo, "length", Object.getOwnPropertyDescriptor(Repo, "length")!),
    ).toThrow(/@protect decorates methods; "length" is 0/);
  });

  // The decorated classes are compiled by TypeScript, as a user's build would be: type-checked
  // against the library's own declarations, then emitted and run, once per decorator flavour.
  const fixture = `
    import type { CircuitBreaker } from "../src/index.js";
    const breaker = (globalThis as Record<string, unknown>)["__aiobreakerEdges"] as CircuitBreaker;
    export class Repo {
      calls = 0;
      @breaker.protect
      static async findStatic(id: number): Promise<string> {
        if (id < 0) throw new Error("bad id");
        return "static " + String(id);
      }
      @breaker.protect({ ignoreOnCall: false })
      async find(id: number): Promise<string> {
        this.calls++;
        if (id < 0) throw new Error("bad id");
        return "user " + String(id);
      }
      @breaker.protect({ ignoreOnCall: false })
      static async findStaticWithOptions(id: number): Promise<string> {
        if (id < 0) throw new Error("bad id");
        return "static options " + String(id);
      }
    }`;
  const fixturePath = fileURLToPath(new URL("./__protect-edges-fixture.ts", import.meta.url));

  function typeErrors(experimentalDecorators: boolean): string[] {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      types: [],
      noEmit: true,
      experimentalDecorators,
    };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (name) => name === fixturePath || fileExists.call(host, name);
    host.readFile = (name) => (name === fixturePath ? fixture : readFile.call(host, name));
    host.getSourceFile = (name, version, ...rest) =>
      name === fixturePath
        ? ts.createSourceFile(name, fixture, version)
        : getSourceFile.call(host, name, version, ...rest);
    const program = ts.createProgram([fixturePath], options, host);
    return ts
      .getPreEmitDiagnostics(program, program.getSourceFile(fixturePath))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  }

  it.each([
    ["legacy (experimentalDecorators)", true],
    ["standard (TC39)", false],
  ])(
    "static methods and protect(options) type-check and run as %s",
    async (_, legacy) => {
      expect(typeErrors(legacy)).toEqual([]);
      const { outputText } = ts.transpileModule(fixture, {
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          experimentalDecorators: legacy,
        },
      });
      expect(outputText.includes("__decorate(")).toBe(legacy);
      const breaker = new CircuitBreaker({ failMax: 10 });
      (globalThis as Record<string, unknown>)["__aiobreakerEdges"] = breaker;
      try {
        const { Repo } = (await import(
          `data:text/javascript,${encodeURIComponent(outputText)}`
        )) as {
          Repo: {
            new (): { calls: number; find(id: number): Promise<string> };
            findStatic(id: number): Promise<string>;
            findStaticWithOptions(id: number): Promise<string>;
          };
        };
        const repo = new Repo();
        expect(await Repo.findStatic(1)).toBe("static 1");
        expect(await Repo.findStaticWithOptions(2)).toBe("static options 2");
        expect(await repo.find(3)).toBe("user 3");
        // Guarded once: call() on the same breaker does not count it again.
        await breaker.call(Repo.findStatic, -1).catch(() => undefined);
        expect(breaker.failCounter).toBe(1);
        // ignoreOnCall: false reached the wrapper: the method and the call around it both count.
        await breaker.call(Repo.findStaticWithOptions, -1).catch(() => undefined);
        expect(breaker.failCounter).toBe(3);
        await expect(repo.find(-1)).rejects.toThrow("bad id");
        expect(breaker.failCounter).toBe(4);
        expect(repo.calls).toBe(2);
      } finally {
        delete (globalThis as Record<string, unknown>)["__aiobreakerEdges"];
      }
      // Type-checking a program takes seconds on a loaded machine; no timing is asserted.
    },
    60_000,
  );
});

describe("protected generators: halfOpenTimeout and inFlight", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a trial generator whose consumer stalls is freed by halfOpenTimeout; its late end decides nothing", async () => {
    vi.useFakeTimers();
    const { breaker } = dueForTrial();
    const neutral: NeutralReason[] = [];
    breaker.addListener({ neutral: (_b, reason) => neutral.push(reason) });
    const stalled = await breaker.protect(function* () {
      yield 1;
      throw new Error("failed, but too late to count");
    })();
    expect(stalled.next()).toEqual({ value: 1, done: false });
    expect(thrownBy(() => breaker.callSync(() => "refused"))).toBeInstanceOf(CircuitBreakerError);
    await vi.advanceTimersByTimeAsync(50);
    expect(neutral).toEqual(["half-open-timeout"]);
    expect(breaker.callSync(() => "second trial")).toBe("second trial");
    expect(breaker.state).toBe("closed");
    expect(() => stalled.next()).toThrow("failed, but too late to count");
    expect([breaker.state, breaker.failCounter, breaker.inFlight]).toEqual(["closed", 0, 0]);
  });

  it("a trial generator that ends in time cancels its deadline: nothing fires later", async () => {
    vi.useFakeTimers();
    const { breaker } = dueForTrial();
    const neutral: NeutralReason[] = [];
    breaker.addListener({ neutral: (_b, reason) => neutral.push(reason) });
    const quick = await breaker.protect(async function* () {
      yield await Promise.resolve("a");
    })();
    expect(await quick.next()).toEqual({ value: "a", done: false });
    expect(await quick.next()).toEqual({ value: undefined, done: true });
    expect(breaker.state).toBe("closed");
    await vi.advanceTimersByTimeAsync(100);
    expect(neutral).toEqual([]);
  });

  it("inFlight counts a generator from its first next() until it ends or is stopped", async () => {
    const breaker = new CircuitBreaker();
    const numbers = breaker.protect(function* () {
      yield 1;
      yield 2;
    });
    const finished = await numbers();
    expect(breaker.inFlight).toBe(0);
    finished.next();
    expect(breaker.inFlight).toBe(1);
    expect([...finished]).toEqual([2]);
    expect(breaker.inFlight).toBe(0);
    const stopped = await numbers();
    stopped.next();
    expect(breaker.inFlight).toBe(1);
    stopped.return(undefined);
    expect(breaker.inFlight).toBe(0);
  });
});
