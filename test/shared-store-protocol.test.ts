// What a breaker does with the parts of the storage contract that a store shared by processes
// needs: a trial slot granted later ("pending"), a window the store keeps, close().
import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  type SharedWindow,
  type SharedWindowRule,
} from "../src/index.js";
import { drain, manualClock, status } from "./support.js";

/** Answers "pending" for trial slots and grants (or denies) them when the test says. */
class GrantingStorage extends CircuitMemoryStorage {
  readonly #listeners = new Set<() => void>();
  asked = 0;
  #answer: boolean | undefined;

  override acquireTrial(generation: number, limit: number): boolean | "pending" {
    this.asked++;
    if (this.#answer === undefined) return "pending";
    const answer = this.#answer;
    this.#answer = undefined;
    return answer && super.acquireTrial(generation, limit);
  }

  override subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The fleet answered: the next acquireTrial returns `granted`. */
  answer(granted: boolean): void {
    this.#answer = granted;
    for (const listener of this.#listeners) listener();
  }

  /** An announcement that answers nothing (another process's change, say). */
  announce(): void {
    for (const listener of this.#listeners) listener();
  }

  get subscribers(): number {
    return this.#listeners.size;
  }
}

function dueForTrial(storage: CircuitMemoryStorage) {
  const { time, clock } = manualClock();
  const breaker = new CircuitBreaker({ storage, failMax: 1, resetTimeout: 10, clock });
  breaker.open();
  time.now += 10;
  return breaker;
}

describe("a trial slot a shared storage grants later", () => {
  it("the caller waits for the answer and runs as the trial, with no extra refusal", async () => {
    const storage = new GrantingStorage();
    const breaker = dueForTrial(storage);
    const trial = breaker.call(() => "trial ran");
    expect(await status(trial)).toBe("pending");
    storage.answer(true);
    expect(await trial).toBe("trial ran");
    expect([breaker.state, breaker.stats.rejections, storage.subscribers]).toEqual([
      "closed",
      0,
      0,
    ]);
  });

  it("a denial refuses the caller as half-open", async () => {
    const storage = new GrantingStorage();
    const breaker = dueForTrial(storage);
    const trial = breaker.call(() => "never");
    await drain();
    storage.answer(false);
    const refused = await trial.catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CircuitBreakerError);
    expect((refused as CircuitBreakerError).state).toBe("half-open");
    expect(breaker.stats.rejections).toBe(1);
  });

  it("announcements that never answer end in a refusal after a few rounds, not a wait forever", async () => {
    const storage = new GrantingStorage();
    const breaker = dueForTrial(storage);
    const trial = breaker.call(() => "never").catch((error: unknown) => error);
    for (let round = 0; round < 5; round++) {
      await drain();
      storage.announce();
    }
    const refused = await trial;
    expect((refused as Error).message).toBe(
      "Circuit breaker is half-open and its storage granted no trial slot",
    );
    expect(storage.asked).toBe(4);
    expect(storage.subscribers).toBe(0);
  });

  it("callSync cannot wait: a pending slot is a refusal", () => {
    const storage = new GrantingStorage();
    const breaker = dueForTrial(storage);
    expect(() => breaker.callSync(() => 1)).toThrow(
      "Circuit breaker is half-open and its storage granted no trial slot",
    );
  });

  it("a caller whose signal aborts while waiting leaves, neutral", async () => {
    const storage = new GrantingStorage();
    const breaker = dueForTrial(storage);
    const caller = new AbortController();
    const trial = breaker.execute(() => "never", { signal: caller.signal });
    await drain();
    caller.abort(new Error("gone"));
    await expect(trial).rejects.toThrow("gone");
    expect(breaker.stats.neutral).toBe(1);
  });
});

/** Counts what it is given, as a store shared by processes would (with the others' counts). */
class CountingWindow implements SharedWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;

  record(_now: number, flags: number): void {
    this.calls++;
    if ((flags & 1) !== 0) this.failures++;
    if ((flags & 2) !== 0) this.slowCalls++;
  }

  advance(): void {
    // A fixed window: nothing ages in this test.
  }
}

/** A window kept by the storage. */
class WindowStorage extends CircuitMemoryStorage {
  rules: SharedWindowRule[] = [];
  readonly window = new CountingWindow();

  shareWindow(rule: SharedWindowRule): SharedWindow {
    this.rules.push(rule);
    return this.window;
  }
}

describe("a window the storage keeps", () => {
  it("takes the breaker's outcomes and judges the rates on its totals", async () => {
    const storage = new WindowStorage();
    const breaker = new CircuitBreaker({
      storage,
      window: { duration: 10_000, buckets: 5 },
      failureRateThreshold: 50,
      minimumCalls: 4,
    });
    expect(storage.rules).toEqual([
      {
        duration: 10_000,
        buckets: 5,
        minimumCalls: 4,
        failureRateThreshold: 50,
        slowCallRateThreshold: undefined,
      },
    ]);
    // Other processes' calls, already in the store's window.
    storage.window.calls = 2;
    storage.window.failures = 1;
    await breaker.call(() => "ok");
    expect(breaker.state).toBe("closed");
    await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    expect(breaker.state).toBe("open");
    expect(breaker.metrics).toMatchObject({ calls: 4, failures: 2, failureRate: 50 });
    expect(breaker.toJSON().window).toEqual({
      kind: "time",
      duration: 10_000,
      buckets: 5,
      data: [],
    });
    breaker.reconfigure({ failureRateThreshold: 80 });
    expect(storage.rules.at(-1)?.failureRateThreshold).toBe(80);
  });

  it("a shareWindow that throws is reported, and the breaker keeps its own window", async () => {
    const reported: string[] = [];
    class Refusing extends CircuitMemoryStorage {
      shareWindow(): SharedWindow {
        throw new Error("no windows today");
      }
    }
    const breaker = new CircuitBreaker({
      storage: new Refusing(),
      window: { duration: 1_000 },
      onListenerError: (error, source) => reported.push(`${source}: ${(error as Error).message}`),
    });
    await breaker.call(() => 1);
    expect(breaker.metrics.calls).toBe(1);
    expect(reported).toEqual(["storage: no windows today"]);
  });
});
