import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  type CircuitBreakerOptions,
  type CircuitBreakerState,
  type FailureOutcome,
  type FailureRecord,
  type StateChange,
  type TrialOutcome,
} from "../src/index.js";
import { manualClock, status } from "./support.js";

type Method =
  | "recordFailure"
  | "resetFailCounter"
  | "recordTrialSuccess"
  | "setState"
  | "acquireTrial"
  | "releaseTrial";

/** A memory storage whose chosen method throws, once, the next time it is called. */
class FaultyStorage extends CircuitMemoryStorage {
  armed: Method | undefined;
  thrown = 0;

  #trip(method: Method): void {
    if (this.armed !== method) return;
    this.armed = undefined;
    this.thrown++;
    throw new Error(`${method} failed`);
  }

  override recordFailure(failure: FailureRecord): FailureOutcome {
    this.#trip("recordFailure");
    return super.recordFailure(failure);
  }

  override resetFailCounter(): void {
    this.#trip("resetFailCounter");
    super.resetFailCounter();
  }

  override recordTrialSuccess(generation: number, successThreshold: number): TrialOutcome {
    this.#trip("recordTrialSuccess");
    return super.recordTrialSuccess(generation, successThreshold);
  }

  override setState(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    duration: number | undefined,
    change: StateChange,
  ): boolean {
    if (change.cause !== "manual") this.#trip("setState");
    return super.setState(state, openedAt, duration, change);
  }

  override acquireTrial(generation: number, limit: number): boolean | "pending" {
    this.#trip("acquireTrial");
    return super.acquireTrial(generation, limit);
  }

  override releaseTrial(generation: number): void {
    this.#trip("releaseTrial");
    super.releaseTrial(generation);
  }
}

type Path = "plain" | "timed" | "fallback" | "signal";
const pathOptions: Record<Path, CircuitBreakerOptions> = {
  plain: {},
  timed: { callTimeout: 10_000 },
  fallback: { fallback: (error) => `fallback: ${(error as Error).message}` },
  signal: {},
};
const paths = Object.keys(pathOptions) as Path[];

function setup(path: Path, options: CircuitBreakerOptions = {}) {
  const { time, clock } = manualClock();
  const storage = new FaultyStorage();
  const reported: string[] = [];
  const breaker = new CircuitBreaker({
    storage,
    clock,
    resetTimeout: 10,
    onListenerError: (error, source) => reported.push(`${source}: ${(error as Error).message}`),
    ...pathOptions[path],
    ...options,
  });
  const run = (fn: () => unknown): Promise<unknown> => {
    const promise =
      path === "signal"
        ? breaker.execute(() => fn(), { signal: new AbortController().signal })
        : breaker.call(fn);
    return promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  };
  const dueForTrial = () => {
    breaker.open();
    time.now += 10;
  };
  return { breaker, storage, reported, run, dueForTrial, time };
}

const ok = () => Promise.resolve("ok");
const down = () => Promise.reject(new Error("down"));

describe("a storage method that throws once never reaches a caller", () => {
  describe.each(paths)("on the %s path", (path) => {
    it("recordFailure, on a failure: the caller gets its error, and the next failure counts", async () => {
      const { breaker, storage, reported, run } = setup(path, { failMax: 1 });
      storage.armed = "recordFailure";
      const first = await run(down);
      expect(first).toEqual(
        path === "fallback" ? { value: "fallback: down" } : { error: new Error("down") },
      );
      expect(reported).toEqual(["storage: recordFailure failed"]);
      await run(down);
      expect(breaker.state).toBe("open");
    });

    it("resetFailCounter, on a success after a failure: the caller gets its value", async () => {
      const { breaker, storage, reported, run } = setup(path, { failMax: 3 });
      await run(down);
      storage.armed = "resetFailCounter";
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(reported).toEqual(["storage: resetFailCounter failed"]);
      expect(breaker.inFlight).toBe(0);
      await run(ok);
      expect(breaker.failCounter).toBe(0);
    });

    it("recordTrialSuccess, on a trial's success: the caller gets its value, the slot is not lost", async () => {
      const { breaker, storage, reported, run, dueForTrial } = setup(path, { failMax: 1 });
      dueForTrial();
      storage.armed = "recordTrialSuccess";
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(reported).toEqual(["storage: recordTrialSuccess failed"]);
      expect([breaker.state, storage.trialCalls]).toEqual(["half-open", 0]);
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(breaker.state).toBe("closed");
    });

    it("setState, as the breaker half-opens: the call still runs as the trial", async () => {
      const { breaker, storage, reported, run, dueForTrial } = setup(path, { failMax: 1 });
      dueForTrial();
      storage.armed = "setState";
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(reported).toEqual(["storage: setState failed"]);
      expect(breaker.state).toBe("closed");
    });

    it("setState, as a failed trial re-opens: the caller gets its error, the slot is not lost", async () => {
      const { breaker, storage, reported, run, dueForTrial } = setup(path, { failMax: 1 });
      dueForTrial();
      expect(breaker.state).toBe("open");
      const trial = run(() => {
        storage.armed = "setState";
        return down();
      });
      const got = await trial;
      expect(got).toEqual(
        path === "fallback" ? { value: "fallback: down" } : { error: new Error("down") },
      );
      expect(reported).toEqual(["storage: setState failed"]);
      expect([breaker.state, storage.trialCalls]).toEqual(["half-open", 0]);
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(breaker.state).toBe("closed");
    });

    it("acquireTrial: the caller is refused (or gets the fallback), and the next trial runs", async () => {
      const { breaker, storage, reported, run, dueForTrial } = setup(path, { failMax: 1 });
      dueForTrial();
      storage.armed = "acquireTrial";
      const refused = await run(ok);
      if (path === "fallback") {
        expect(refused).toEqual({
          value: "fallback: Circuit breaker is half-open with all 1 trial slots taken",
        });
      } else {
        expect((refused as { error: unknown }).error).toBeInstanceOf(CircuitBreakerError);
      }
      expect(reported).toEqual(["storage: acquireTrial failed"]);
      expect(await run(ok)).toEqual({ value: "ok" });
      expect(breaker.state).toBe("closed");
    });
  });

  it("releaseTrial, when a trial is aborted: the slot is given back at the next chance", async () => {
    const { breaker, storage, reported, dueForTrial } = setup("signal", { failMax: 1 });
    dueForTrial();
    const caller = new AbortController();
    const trial = breaker.execute(() => new Promise(() => undefined), { signal: caller.signal });
    storage.armed = "releaseTrial";
    caller.abort(new Error("gone"));
    await expect(trial).rejects.toThrow("gone");
    expect(reported).toEqual(["storage: releaseTrial failed"]);
    expect(await breaker.call(ok)).toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("a throwing call into the storage never makes call(), execute() or callSync() throw", async () => {
    for (const method of ["recordFailure", "acquireTrial", "setState"] as const) {
      const { breaker, storage, dueForTrial } = setup("plain", { failMax: 1 });
      dueForTrial();
      storage.armed = method;
      const results = [
        breaker.call(down),
        breaker.execute(down),
        breaker.call(() => {
          throw new Error("sync down");
        }),
      ];
      for (const result of results) expect(await status(result)).not.toBe("pending");
      expect(() => {
        try {
          breaker.callSync(() => 1);
        } catch (error) {
          if (!(error instanceof CircuitBreakerError)) throw error;
        }
      }).not.toThrow();
    }
  });
});

describe("a storage that throws at a timer's expiry", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("recordFailure at a callTimeout: the caller gets CallTimeoutError, and later deadlines still fire", async () => {
    for (const path of ["timed", "signal"] as const) {
      const { breaker, storage, reported, run } = setup(path, { callTimeout: 50, failMax: 5 });
      const hang = () => new Promise(() => undefined);
      storage.armed = "recordFailure";
      const first = run(hang);
      await vi.advanceTimersByTimeAsync(50);
      expect(((await first) as { error: unknown }).error).toBeInstanceOf(CallTimeoutError);
      const second = run(hang);
      await vi.advanceTimersByTimeAsync(50);
      expect(((await second) as { error: unknown }).error).toBeInstanceOf(CallTimeoutError);
      expect(reported).toEqual(["storage: recordFailure failed"]);
      expect(breaker.failCounter).toBe(1);
    }
  });

  it("releaseTrial at a halfOpenTimeout: the stuck trial's slot is still given back", async () => {
    const { breaker, storage, reported, dueForTrial } = setup("plain", {
      failMax: 1,
      halfOpenTimeout: 20,
    });
    dueForTrial();
    void breaker.call(() => new Promise(() => undefined));
    storage.armed = "releaseTrial";
    await vi.advanceTimersByTimeAsync(20);
    expect(reported).toEqual(["storage: releaseTrial failed"]);
    expect(await breaker.call(ok)).toBe("ok");
    expect(breaker.state).toBe("closed");
  });
});
