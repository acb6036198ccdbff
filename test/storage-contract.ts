import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  type CircuitBreakerState,
  type CircuitBreakerStorage,
  type FailureRecord,
  type StateChange,
} from "../src/index.js";

/** A storage under test, built in a given state (a shared one: ready, its mirror loaded). */
export type StorageFactory = (
  initial?: CircuitBreakerState,
  openedAt?: number,
) => CircuitBreakerStorage | Promise<CircuitBreakerStorage>;

/** An operator's change: applies whatever the generation. */
export function manual(storage: CircuitBreakerStorage): StateChange {
  return { cause: "manual", generation: storage.generation };
}

/** A failure in the current generation; trips at `failMax` when given. */
export function failure(
  storage: CircuitBreakerStorage,
  failMax?: number,
  now = 1_000,
  openDuration?: number,
): FailureRecord {
  return { generation: storage.generation, failMax, now, openDuration: () => openDuration };
}

/**
 * Takes a trial slot, waiting out a shared storage's `"pending"` through its `subscribe`
 * announcements (a few rounds at most), as a breaker does.
 */
export async function acquire(
  storage: CircuitBreakerStorage,
  generation: number,
  limit: number,
  lease?: number,
): Promise<boolean> {
  for (let round = 0; round < 5; round++) {
    const granted = storage.acquireTrial(generation, limit, lease);
    if (granted !== "pending") return granted;
    const subscribe = storage.subscribe;
    expect(subscribe, "a storage that answers pending must implement subscribe").toBeDefined();
    await new Promise<void>((resolve) => {
      const end = subscribe!.call(storage, () => {
        end();
        resolve();
      });
    });
  }
  throw new Error("acquireTrial stayed pending");
}

/**
 * The rules every CircuitBreakerStorage follows (see src/storage.ts), and the breaker's core
 * behaviour over it. Run each storage through it.
 */
export function runStorageContract(name: string, make: StorageFactory): void {
  describe(`storage contract: ${name}`, () => {
    it("starts closed and enabled with zeroed counters", async () => {
      const storage = await make();
      expect([
        storage.state,
        storage.mode,
        storage.failCounter,
        storage.successCounter,
        storage.openedAt,
      ]).toEqual(["closed", "enabled", 0, 0, undefined]);
    });

    it("setState starts a new generation and applies the counter rules", async () => {
      const storage = await make();
      storage.recordFailure(failure(storage));
      storage.recordFailure(failure(storage));
      const g0 = storage.generation;
      expect(storage.setState("open", 500, undefined, manual(storage))).toBe(true);
      expect([storage.generation !== g0, storage.failCounter, storage.openedAt]).toEqual([
        true,
        2,
        500,
      ]);
      storage.setState("half-open", undefined, undefined, manual(storage));
      expect([storage.failCounter, storage.openedAt]).toEqual([2, 500]);
      expect(await acquire(storage, storage.generation, 2)).toBe(true);
      expect(storage.recordTrialSuccess(storage.generation, 5)).toEqual({
        successCounter: 1,
        closed: false,
      });
      expect(await acquire(storage, storage.generation, 1)).toBe(true);
      storage.setState("half-open", undefined, undefined, manual(storage));
      expect([storage.successCounter, storage.trialCalls]).toEqual([0, 0]);
      storage.setState("closed", undefined, undefined, manual(storage));
      expect([storage.failCounter, storage.openedAt]).toEqual([0, undefined]);
    });

    it("an automatic change applies only in the generation it was decided in", async () => {
      const storage = await make();
      const decided = storage.generation;
      storage.setState("open", 100, undefined, manual(storage));
      const g1 = storage.generation;
      // A stale trip (decided before the opening) changes nothing and says so.
      expect(storage.setState("open", 200, undefined, { cause: "trip", generation: decided })).toBe(
        false,
      );
      expect([storage.openedAt, storage.openAttempts, storage.generation]).toEqual([100, 1, g1]);
      expect(
        storage.setState("half-open", undefined, undefined, { cause: "retry", generation: g1 }),
      ).toBe(true);
      // A manual change from a stale view still applies: the operator wins.
      expect(
        storage.setState("closed", undefined, undefined, { cause: "manual", generation: g1 }),
      ).toBe(true);
      expect(storage.state).toBe("closed");
    });

    it("recordFailure trips at failMax, once, and only in the closed state of its generation", async () => {
      const storage = await make();
      const stale = failure(storage, 2, 1_000, 7_000);
      expect(storage.recordFailure(failure(storage, 2, 1_000, 7_000))).toEqual({
        failCounter: 1,
        tripped: false,
      });
      expect(storage.recordFailure(failure(storage, 2, 1_000, 7_000))).toEqual({
        failCounter: 2,
        tripped: true,
      });
      expect([storage.state, storage.openDuration, storage.openAttempts]).toEqual([
        "open",
        7_000,
        1,
      ]);
      // Another failure of the closed generation, arriving late: counted, no second opening.
      expect(storage.recordFailure(stale).tripped).toBe(false);
      expect(storage.recordFailure(failure(storage, 2)).tripped).toBe(false);
      expect(storage.openAttempts).toBe(1);
    });

    it("recordFailure asks for the opening's duration only when it trips", async () => {
      const storage = await make();
      let asked = 0;
      const counted = (failMax: number | undefined): FailureRecord => ({
        generation: storage.generation,
        failMax,
        now: 1_000,
        openDuration: () => {
          asked++;
          return 3_000;
        },
      });
      storage.recordFailure(counted(undefined));
      storage.recordFailure(counted(5));
      expect(asked).toBe(0);
      storage.recordFailure(counted(3));
      expect([asked, storage.state, storage.openDuration]).toEqual([1, "open", 3_000]);
    });

    it("recordTrialSuccess frees the slot, counts, and closes at the threshold; a late one changes nothing", async () => {
      const storage = await make("half-open");
      const g = storage.generation;
      expect(await acquire(storage, g, 2)).toBe(true);
      expect(await acquire(storage, g, 2)).toBe(true);
      expect(storage.recordTrialSuccess(g, 2)).toEqual({ successCounter: 1, closed: false });
      expect(storage.trialCalls).toBe(1);
      expect(storage.recordTrialSuccess(g, 2)).toEqual({ successCounter: 2, closed: true });
      expect([storage.state, storage.failCounter, storage.trialCalls]).toEqual(["closed", 0, 0]);
      expect(storage.recordTrialSuccess(g, 2).closed).toBe(false);
      expect(storage.state).toBe("closed");
    });

    it("records openDuration and counts openAttempts until the breaker closes", async () => {
      const storage = await make();
      expect([storage.openDuration, storage.openAttempts]).toEqual([undefined, 0]);
      storage.setState("open", 100, 5_000, manual(storage));
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        100, 5_000, 1,
      ]);
      storage.setState("half-open", undefined, undefined, manual(storage));
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        100, 5_000, 1,
      ]);
      // Re-opening without a fixed duration: the resetTimeout number applies again.
      storage.setState("open", 200, undefined, manual(storage));
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        200,
        undefined,
        2,
      ]);
      storage.setState("closed", undefined, undefined, manual(storage));
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        undefined,
        undefined,
        0,
      ]);
    });

    it("setMode sets the shared mode in a new generation, keeping the state", async () => {
      const storage = await make("half-open");
      const g = storage.generation;
      expect(await acquire(storage, g, 1)).toBe(true);
      storage.setMode("disabled");
      expect([storage.mode, storage.state, storage.trialCalls]).toEqual([
        "disabled",
        "half-open",
        0,
      ]);
      expect(storage.generation).not.toBe(g);
      storage.setMode("enabled");
      expect(storage.mode).toBe("enabled");
    });

    it("restore replaces everything and starts a new generation", async () => {
      const storage = await make();
      storage.recordFailure(failure(storage));
      const g0 = storage.generation;
      storage.restore({
        state: "open",
        mode: "forced-open",
        failCounter: 7,
        successCounter: 0,
        openedAt: 1_000,
        openDuration: 30_000,
        openAttempts: 3,
      });
      expect(storage.generation).not.toBe(g0);
      expect([
        storage.state,
        storage.mode,
        storage.failCounter,
        storage.openedAt,
        storage.openDuration,
        storage.openAttempts,
        storage.trialCalls,
      ]).toEqual(["open", "forced-open", 7, 1_000, 30_000, 3, 0]);
      storage.restore({
        state: "half-open",
        failCounter: 2,
        successCounter: 1,
        openedAt: 1_000,
        openDuration: undefined,
        openAttempts: 1,
      });
      expect([storage.state, storage.mode, storage.successCounter, storage.openDuration]).toEqual([
        "half-open",
        "enabled",
        1,
        undefined,
      ]);
      // The restored half-open success count goes on from there.
      expect(await acquire(storage, storage.generation, 1)).toBe(true);
      expect(storage.recordTrialSuccess(storage.generation, 5).successCounter).toBe(2);
    });

    it("a trial taken before a restore is late afterwards", async () => {
      const storage = await make("half-open");
      const before = storage.generation;
      expect(await acquire(storage, before, 1)).toBe(true);
      storage.restore({
        state: "half-open",
        failCounter: 0,
        successCounter: 0,
        openedAt: 0,
        openDuration: undefined,
        openAttempts: 1,
      });
      expect(storage.trialCalls).toBe(0);
      storage.releaseTrial(before);
      expect(storage.trialCalls).toBe(0);
      expect(await acquire(storage, storage.generation, 1)).toBe(true);
    });

    it("a backoff breaker over it opens for each attempt's duration and restarts after closing", async () => {
      let now = 0;
      const storage = await make();
      const breaker = new CircuitBreaker({
        storage,
        failMax: 1,
        throwNewErrorOnTrip: false,
        resetTimeout: (attempt) => attempt * 1_000,
        clock: { now: () => now },
      });
      const fail = () => breaker.call(() => Promise.reject(new Error("down"))).catch(() => 0);
      await fail();
      expect([storage.openAttempts, breaker.retryAt]).toEqual([1, 1_000]);
      now = 1_000;
      await fail(); // the trial fails: second opening
      expect([storage.openAttempts, breaker.retryAt]).toEqual([2, 3_000]);
      now = 3_000;
      await breaker.call(() => "ok");
      expect([breaker.state, storage.openAttempts]).toEqual(["closed", 0]);
      await fail();
      expect(breaker.retryAt).toBe(4_000);
    });

    it("admits at most limit trials per generation; an old generation frees nothing", async () => {
      const storage = await make("half-open");
      const g = storage.generation;
      expect(await acquire(storage, g, 2)).toBe(true);
      expect(await acquire(storage, g, 2)).toBe(true);
      expect(await acquire(storage, g, 2)).toBe(false);
      storage.setState("half-open", undefined, undefined, manual(storage));
      const g1 = storage.generation;
      expect(await acquire(storage, g, 5)).toBe(false);
      expect(await acquire(storage, g1, 2)).toBe(true);
      expect(await acquire(storage, g1, 2)).toBe(true);
      storage.releaseTrial(g);
      expect(storage.trialCalls).toBe(2);
      storage.releaseTrial(g1);
      expect(storage.trialCalls).toBe(1);
      storage.releaseTrial(g1);
      storage.releaseTrial(g1);
      expect(storage.trialCalls).toBe(0);
    });

    it("a breaker over an open storage starts open and honours its openedAt", async () => {
      let now = 1_000;
      const breaker = new CircuitBreaker({
        storage: await make("open", 900),
        resetTimeout: 200,
        clock: { now: () => now },
      });
      expect([breaker.state, breaker.retryAt, breaker.retryAfter]).toEqual(["open", 1_100, 100]);
      await expect(breaker.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerError);
      now = 1_100;
      expect(await breaker.call(() => 2)).toBe(2);
      expect(breaker.state).toBe("closed");
    });

    it("two breakers over one storage share one state and one mode", async () => {
      const storage = await make();
      const a = new CircuitBreaker({ storage, failMax: 2 });
      const b = new CircuitBreaker({ storage, failMax: 2 });
      await a.call(() => Promise.reject(new Error("1"))).catch(() => 0);
      await b.call(() => Promise.reject(new Error("2"))).catch(() => 0);
      expect([a.state, b.state, storage.openAttempts]).toEqual(["open", "open", 1]);
      a.close();
      expect(b.state).toBe("closed");
      expect(await b.call(() => "ok")).toBe("ok");
      b.forceOpen();
      expect([a.mode, a.state]).toEqual(["forced-open", "open"]);
      await expect(a.call(() => "refused")).rejects.toBeInstanceOf(CircuitBreakerError);
      a.enable();
      expect(b.mode).toBe("enabled");
    });

    it("subscribe, when implemented, announces changes of state and mode, restores and freed trial slots until ended", async () => {
      const storage = await make();
      if (storage.subscribe === undefined) return;
      let heard = 0;
      const end = storage.subscribe(() => {
        heard++;
      });
      expect(typeof end).toBe("function");
      storage.setState("half-open", undefined, undefined, manual(storage));
      expect(heard).toBe(1);
      expect(await acquire(storage, storage.generation, 1)).toBe(true);
      const before = heard;
      storage.releaseTrial(storage.generation);
      expect(heard).toBe(before + 1);
      // Nothing was taken: nothing is given back, nothing to announce.
      storage.releaseTrial(storage.generation);
      storage.releaseTrial(storage.generation - 1);
      expect(heard).toBe(before + 1);
      storage.restore({
        state: "closed",
        failCounter: 0,
        successCounter: 0,
        openedAt: undefined,
        openDuration: undefined,
        openAttempts: 0,
      });
      expect(heard).toBe(before + 2);
      storage.setMode("disabled");
      expect(heard).toBe(before + 3);
      end();
      storage.setState("open", 1, undefined, manual(storage));
      expect(heard).toBe(before + 3);
    });
  });
}
