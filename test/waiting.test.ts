import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  CircuitMemoryStorage,
  type CircuitBreakerState,
  type CircuitBreakerStorage,
} from "../src/index.js";

function manualClock(start = 1_000_000) {
  const time = { now: start };
  return { time, clock: { now: () => time.now } };
}

/** Lets every queued microtask and promise job run. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** "resolved", "rejected" or "pending" once every job that could settle `promise` has run. */
async function status(promise: Promise<unknown>): Promise<string> {
  const seen = promise.then(
    () => "resolved",
    () => "rejected",
  );
  return Promise.race([seen, drain().then(() => "pending")]);
}

function deferred() {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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

describe("a rejection's waitUntilRetry after the change it waits for", () => {
  it("resolves at once when the trial that filled half-open has already settled", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    await openThenDue(breaker, time);
    const trial = deferred();
    const running = breaker.call(() => trial.promise);
    const refused = await rejection(breaker.call(() => 1));
    expect(refused.retryAt).toBeUndefined();
    trial.resolve("ok");
    await running;
    expect(breaker.state).toBe("closed");
    expect(await status(refused.waitUntilRetry())).toBe("resolved");
  });

  it("still waits when nothing has changed since the rejection", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ failMax: 1, resetTimeout: 10, clock });
    await openThenDue(breaker, time);
    const trial = deferred();
    const running = breaker.call(() => trial.promise);
    const refused = await rejection(breaker.call(() => 1));
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
    await openThenDue(a, time);
    const trial = deferred();
    const running = a.call(() => trial.promise);
    const refused = await rejection(b.call(() => 1));
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

  it("a storage whose subscribe returns no function fails the wait, naming what it returned", async () => {
    const { time, clock } = manualClock();
    class BrokenStorage extends CircuitMemoryStorage {
      override subscribe(): () => void {
        return 42 as unknown as () => void;
      }
    }
    const broken: CircuitBreakerStorage = new BrokenStorage();
    const breaker = new CircuitBreaker({ storage: broken, failMax: 1, resetTimeout: 10, clock });
    await openThenDue(breaker, time);
    void breaker.call(() => new Promise(() => undefined));
    const refused = await rejection(breaker.call(() => 1));
    await expect(refused.waitUntilRetry()).rejects.toThrow(
      "storage.subscribe() must return a function that ends the subscription, got 42",
    );
  });
});

describe("a forced-open breaker over a shared storage", () => {
  it("reports open, refuses as open and snapshots consistently when another breaker closes the storage", async () => {
    const storage = new CircuitMemoryStorage();
    const a = new CircuitBreaker({ storage });
    const b = new CircuitBreaker({ storage });
    b.forceOpen();
    a.close();
    expect([storage.state, b.state, b.mode]).toEqual(["closed", "open", "forced-open"]);
    const refused = await rejection(b.call(() => 1));
    expect(refused.state).toBe("open");
    const copy = new CircuitBreaker({ initialState: b.toJSON() });
    expect([copy.state, copy.mode]).toEqual(["open", "forced-open"]);
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
