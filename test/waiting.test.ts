import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  type CircuitBreakerState,
} from "../src/index.js";
import { deferred, drain, manualClock, status } from "./support.js";

async function rejection(promise: Promise<unknown>): Promise<CircuitBreakerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CircuitBreakerError)) throw new Error("expected a CircuitBreakerError");
  return error;
}

/** A memory storage that counts its live subscriptions. */
class CountingStorage extends CircuitMemoryStorage {
  live = 0;
  override subscribe(listener: () => void): () => void {
    const end = super.subscribe(listener);
    this.live++;
    return () => {
      this.live--;
      end();
    };
  }
}

/** Opens the breaker with one failure and moves the clock to its retry time. */
async function openThenDue(breaker: CircuitBreaker, time: { now: number }): Promise<void> {
  await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
  time.now = breaker.retryAt ?? time.now;
}

/**
 * Opens `trialBy`, starts its trial (finished by hand through `trial`), and has `refusedBy` (the
 * same breaker, or another over the same storage) refused for want of a trial slot.
 */
async function refusedWhileTrialRuns(
  trialBy: CircuitBreaker,
  time: { now: number },
  refusedBy: CircuitBreaker = trialBy,
): Promise<{
  trial: ReturnType<typeof deferred>;
  running: Promise<unknown>;
  refused: CircuitBreakerError;
}> {
  await openThenDue(trialBy, time);
  const trial = deferred();
  const running = trialBy.call(() => trial.promise);
  const refused = await rejection(refusedBy.call(() => 1));
  return { trial, running, refused };
}

describe("a rejection's waitUntilRetry after the change it waits for", () => {
  it("resolves at once when the trial that filled half-open has already settled", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    const { trial, running, refused } = await refusedWhileTrialRuns(breaker, time);
    expect(refused.retryAt).toBeUndefined();
    trial.resolve("ok");
    await running;
    expect(breaker.state).toBe("closed");
    expect(await status(refused.waitUntilRetry())).toBe("resolved");
  });

  it("still waits when nothing has changed since the rejection", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    const { trial, running, refused } = await refusedWhileTrialRuns(breaker, time);
    const wait = refused.waitUntilRetry();
    expect(await status(wait)).toBe("pending");
    trial.resolve("ok");
    await running;
    expect(await status(wait)).toBe("resolved");
  });

  it("resolves at once after a forced opening was ended before the wait", async () => {
    const breaker = new CircuitBreaker();
    breaker.forceOpen();
    const refused = await rejection(breaker.call(() => 1));
    breaker.reset();
    expect(await status(refused.waitUntilRetry())).toBe("resolved");
  });
});

describe("breakers sharing one storage wake each other's waiters", () => {
  it("a rejection's wait resolves when another breaker's trial closes the storage", async () => {
    const { time, clock } = manualClock();
    const storage = new CountingStorage();
    const a = new CircuitBreaker({ storage, failMax: 1, resetTimeout: 10, clock, name: "a" });
    const b = new CircuitBreaker({ storage, failMax: 1, resetTimeout: 10, clock, name: "b" });
    const { trial, running, refused } = await refusedWhileTrialRuns(a, time, b);
    const wait = refused.waitUntilRetry();
    expect(await status(wait)).toBe("pending");
    expect(storage.live).toBe(1);
    trial.resolve("ok");
    await running;
    expect(await status(wait)).toBe("resolved");
    expect([storage.state, b.state, storage.live]).toEqual(["closed", "closed", 0]);
  });

  it("a caller queued on one breaker takes the trial slot another breaker gives back", async () => {
    const { time, clock } = manualClock();
    const storage = new CountingStorage();
    const shared = { storage, failMax: 1, resetTimeout: 10, successThreshold: 2, clock };
    const a = new CircuitBreaker(shared);
    const b = new CircuitBreaker({ ...shared, halfOpenQueueSize: 1 });
    await openThenDue(a, time);
    const trial = deferred();
    const running = a.call(() => trial.promise);
    const queued = b.call(() => "queued ran");
    expect(await status(queued)).toBe("pending");
    trial.resolve("ok");
    await running;
    // One success of two: still half-open, and the slot went back to the storage.
    expect(storage.state).toBe("half-open");
    expect(await queued).toBe("queued ran");
    expect(storage.live).toBe(0);
  });

  it("stops listening to the storage when the last waiter aborts", async () => {
    const { time, clock } = manualClock();
    const storage = new CountingStorage();
    const a = new CircuitBreaker({ storage, failMax: 1, resetTimeout: 10, clock });
    const b = new CircuitBreaker({ storage, failMax: 1, resetTimeout: 10, clock });
    await openThenDue(a, time);
    const running = a.call(() => new Promise(() => undefined));
    const refused = await rejection(b.call(() => 1));
    const controller = new AbortController();
    const wait = refused.waitUntilRetry(controller.signal);
    expect(storage.live).toBe(1);
    controller.abort(new Error("gave up"));
    await expect(wait).rejects.toThrow("gave up");
    expect(storage.live).toBe(0);
    void running;
  });

  it("a late result catches up with a change another breaker made, telling its listeners", async () => {
    const storage = new CircuitMemoryStorage();
    const a = new CircuitBreaker({ storage, failMax: 1 });
    const changes: string[] = [];
    const b = new CircuitBreaker({
      storage,
      listeners: [
        {
          stateChange: (_breaker, from: CircuitBreakerState, to: CircuitBreakerState) => {
            changes.push(`${from}->${to}`);
          },
        },
      ],
    });
    const work = deferred();
    const running = b.call(() => work.promise);
    a.open();
    work.resolve("late");
    expect(await running).toBe("late");
    expect(changes).toEqual(["closed->open"]);
  });

  for (const [what, subscribe, message] of [
    ["returns no function", () => 42, "must return a function that ends the subscription, got 42"],
    [
      "throws",
      () => {
        throw new Error("no pub/sub here");
      },
      "no pub/sub here",
    ],
  ] as const) {
    it(`a storage whose subscribe ${what} is reported, and its waiters still wake at the breaker's own changes`, async () => {
      const { time, clock } = manualClock();
      class BrokenStorage extends CircuitMemoryStorage {
        override subscribe(): () => void {
          return subscribe() as unknown as () => void;
        }
      }
      const reported: [unknown, string][] = [];
      const breaker = new CircuitBreaker({
        storage: new BrokenStorage(),
        failMax: 1,
        resetTimeout: 10,
        clock,
        onListenerError: (error, source) => {
          reported.push([error, source]);
        },
      });
      const { trial, running, refused } = await refusedWhileTrialRuns(breaker, time);
      const wait = refused.waitUntilRetry();
      expect(reported).toHaveLength(1);
      expect(reported[0]?.[1]).toBe("storage");
      expect(String(reported[0]?.[0])).toContain(message);
      expect(await status(wait)).toBe("pending");
      trial.resolve("ok");
      await running;
      expect(await status(wait)).toBe("resolved");
    });
  }

  it("an unsubscribe that throws is reported, not thrown into the call that ended the wait", async () => {
    const { time, clock } = manualClock();
    class StickyStorage extends CircuitMemoryStorage {
      override subscribe(listener: () => void): () => void {
        super.subscribe(listener);
        return () => {
          throw new Error("cannot unsubscribe");
        };
      }
    }
    const reported: unknown[] = [];
    const breaker = new CircuitBreaker({
      storage: new StickyStorage(),
      failMax: 1,
      resetTimeout: 10,
      clock,
      onListenerError: (error) => {
        reported.push(error);
      },
    });
    const { trial, running, refused } = await refusedWhileTrialRuns(breaker, time);
    const wait = refused.waitUntilRetry();
    trial.resolve("ok");
    expect(await running).toBe("ok");
    await wait;
    expect(String(reported[0])).toContain("cannot unsubscribe");
  });
});

describe("breakers sharing one storage: every free slot and every reset reaches the queue", () => {
  it("two slots another breaker frees in one tick start two queued callers", async () => {
    const storage = new CountingStorage("half-open");
    const shared = { storage, halfOpenMaxCalls: 2, successThreshold: 5 };
    const b1 = new CircuitBreaker({ ...shared, halfOpenQueueSize: 2 });
    const b2 = new CircuitBreaker(shared);
    const first = deferred();
    const second = deferred();
    const trials = [b2.call(() => first.promise), b2.call(() => second.promise)];
    const started: string[] = [];
    for (const name of ["q1", "q2"]) {
      // Each keeps its slot: only the freed slots can let the other in.
      void b1.call(() => {
        started.push(name);
        return new Promise(() => undefined);
      });
    }
    await drain();
    expect(started).toEqual([]);
    first.resolve(1);
    second.resolve(2);
    await Promise.all(trials);
    await drain();
    expect(started).toEqual(["q1", "q2"]);
    expect([storage.trialCalls, storage.live]).toEqual([2, 0]);
  });

  it("resetting every breaker over the storage runs every queued caller and ends the subscription", async () => {
    const storage = new CountingStorage("half-open");
    const b1 = new CircuitBreaker({ storage, halfOpenQueueSize: 3 });
    const b2 = new CircuitBreaker({ storage });
    void b2.call(() => new Promise(() => undefined));
    const queued = ["q1", "q2", "q3"].map((name) => b1.call(() => name));
    await drain();
    b2.reset();
    b1.reset();
    expect(await Promise.all(queued)).toEqual(["q1", "q2", "q3"]);
    expect([b1.state, storage.live]).toEqual(["closed", 0]);
  });

  it("a rejection while forced open waits for the release, made by another breaker over the storage", async () => {
    const storage = new CountingStorage();
    const b1 = new CircuitBreaker({ storage });
    const b2 = new CircuitBreaker({ storage });
    b1.forceOpen();
    let refused: unknown;
    try {
      b2.callSync(() => 1);
    } catch (error) {
      refused = error;
    }
    if (!(refused instanceof CircuitBreakerError)) throw new Error("expected a rejection");
    expect(refused.message).toBe("Circuit breaker is forced open");
    const wait = refused.waitUntilRetry();
    expect(await status(wait)).toBe("pending");
    b1.enable();
    expect(await status(wait)).toBe("resolved");
    // Released into the opening forceOpen() made, for as long as a trip's.
    expect([b2.mode, b2.state]).toEqual(["enabled", "open"]);
  });

  it("listeners of every breaker over the storage hear a forced opening and its release, in order", async () => {
    const storage = new CircuitMemoryStorage();
    const changes: string[] = [];
    const b1 = new CircuitBreaker({
      storage,
      listeners: [
        {
          stateChange: (_breaker, from: CircuitBreakerState, to: CircuitBreakerState) => {
            changes.push(`${from}->${to}`);
          },
          modeChange: (_breaker, from, to) => {
            changes.push(`mode:${from}->${to}`);
          },
        },
      ],
    });
    const b2 = new CircuitBreaker({ storage });
    b2.forceOpen();
    await drain();
    expect(changes).toEqual(["mode:enabled->forced-open", "closed->open"]);
    await expect(b1.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerError);
    b2.enable();
    await drain();
    expect(changes).toEqual([
      "mode:enabled->forced-open",
      "closed->open",
      "mode:forced-open->enabled",
    ]);
    // Released into the opening forceOpen() made: open until its retryAt, as a trip would be.
    expect(b1.state).toBe("open");
  });
});

describe("a forced-open breaker over a shared storage", () => {
  it("forces every breaker over it open; a manual close on any of them ends it for all", async () => {
    const storage = new CircuitMemoryStorage();
    const a = new CircuitBreaker({ storage });
    const b = new CircuitBreaker({ storage });
    b.forceOpen();
    expect([a.state, a.mode]).toEqual(["open", "forced-open"]);
    const refused = await rejection(a.call(() => 1));
    expect(refused.state).toBe("open");
    const copy = new CircuitBreaker({ initialState: b.toJSON() });
    expect([copy.state, copy.mode]).toEqual(["open", "forced-open"]);
    a.close();
    expect([storage.state, storage.mode, b.state, b.mode]).toEqual([
      "closed",
      "enabled",
      "closed",
      "enabled",
    ]);
    expect(await b.call(() => "runs")).toBe("runs");
  });
});

describe("reconfigure", () => {
  it("raising halfOpenMaxCalls lets a queued caller take a new slot at once", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({
      failMax: 1,
      resetTimeout: 10,
      halfOpenQueueSize: 2,
      clock,
    });
    await openThenDue(breaker, time);
    void breaker.call(() => new Promise(() => undefined));
    const queued = breaker.call(() => "queued ran");
    expect(await status(queued)).toBe("pending");
    breaker.reconfigure({ halfOpenMaxCalls: 2 });
    expect(await queued).toBe("queued ran");
  });
});
