import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerError,
  type CircuitBreakerState,
  type CircuitBreakerStorage,
} from "../src/index.js";

/** A storage under test, built in a given state. */
export type StorageFactory = (
  initial?: CircuitBreakerState,
  openedAt?: number,
) => CircuitBreakerStorage;

/**
 * The rules every CircuitBreakerStorage follows (see src/storage.ts), and the breaker's core
 * behaviour over it. Run each storage through it.
 */
export function runStorageContract(name: string, make: StorageFactory): void {
  describe(`storage contract: ${name}`, () => {
    it("starts closed with zeroed counters", () => {
      const storage = make();
      expect([
        storage.state,
        storage.failCounter,
        storage.successCounter,
        storage.openedAt,
      ]).toEqual(["closed", 0, 0, undefined]);
    });

    it("setState starts a new generation and applies the counter rules", () => {
      const storage = make();
      storage.incrementFailCounter();
      storage.incrementFailCounter();
      const g0 = storage.generation;
      storage.setState("open", 500);
      expect([storage.generation > g0, storage.failCounter, storage.openedAt]).toEqual([
        true,
        2,
        500,
      ]);
      storage.setState("half-open", undefined);
      expect([storage.failCounter, storage.openedAt]).toEqual([2, 500]);
      expect(storage.incrementSuccessCounter()).toBe(1);
      expect(storage.acquireTrial(storage.generation, 1)).toBe(true);
      storage.setState("half-open", undefined);
      expect([storage.successCounter, storage.trialCalls]).toEqual([0, 0]);
      storage.setState("closed", undefined);
      expect([storage.failCounter, storage.openedAt]).toEqual([0, undefined]);
    });

    it("records openDuration and counts openAttempts until the breaker closes", () => {
      const storage = make();
      expect([storage.openDuration, storage.openAttempts]).toEqual([undefined, 0]);
      storage.setState("open", 100, 5_000);
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        100, 5_000, 1,
      ]);
      storage.setState("half-open", undefined);
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        100, 5_000, 1,
      ]);
      // Re-opening without a fixed duration: the resetTimeout number applies again.
      storage.setState("open", 200);
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        200,
        undefined,
        2,
      ]);
      storage.setState("closed", undefined);
      expect([storage.openedAt, storage.openDuration, storage.openAttempts]).toEqual([
        undefined,
        undefined,
        0,
      ]);
    });

    it("restore replaces everything and starts a new generation", () => {
      const storage = make();
      storage.incrementFailCounter();
      const g0 = storage.generation;
      storage.restore({
        state: "open",
        failCounter: 7,
        successCounter: 0,
        openedAt: 1_000,
        openDuration: 30_000,
        openAttempts: 3,
      });
      expect(storage.generation).not.toBe(g0);
      expect([
        storage.state,
        storage.failCounter,
        storage.openedAt,
        storage.openDuration,
        storage.openAttempts,
        storage.trialCalls,
      ]).toEqual(["open", 7, 1_000, 30_000, 3, 0]);
      storage.restore({
        state: "half-open",
        failCounter: 2,
        successCounter: 1,
        openedAt: 1_000,
        openDuration: undefined,
        openAttempts: 1,
      });
      expect([storage.state, storage.successCounter, storage.openDuration]).toEqual([
        "half-open",
        1,
        undefined,
      ]);
      // The restored half-open success count goes on from there.
      expect(storage.incrementSuccessCounter()).toBe(2);
    });

    it("a trial taken before a restore is late afterwards", () => {
      const storage = make("half-open");
      const before = storage.generation;
      expect(storage.acquireTrial(before, 1)).toBe(true);
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
      expect(storage.acquireTrial(storage.generation, 1)).toBe(true);
    });

    it("a backoff breaker over it opens for each attempt's duration and restarts after closing", async () => {
      let now = 0;
      const storage = make();
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

    it("admits at most limit trials per generation; an old generation frees nothing", () => {
      const storage = make("half-open");
      const g = storage.generation;
      expect(storage.acquireTrial(g, 2)).toBe(true);
      expect(storage.acquireTrial(g, 2)).toBe(true);
      expect(storage.acquireTrial(g, 2)).toBe(false);
      expect(storage.acquireTrial(g - 1, 5)).toBe(false);
      storage.releaseTrial(g - 1);
      expect(storage.trialCalls).toBe(2);
      storage.releaseTrial(g);
      expect(storage.trialCalls).toBe(1);
      storage.releaseTrial(g);
      storage.releaseTrial(g);
      expect(storage.trialCalls).toBe(0);
    });

    it("a breaker over an open storage starts open and honours its openedAt", async () => {
      let now = 1_000;
      const breaker = new CircuitBreaker({
        storage: make("open", 900),
        resetTimeout: 200,
        clock: { now: () => now },
      });
      expect([breaker.state, breaker.retryAt, breaker.retryAfter]).toEqual(["open", 1_100, 100]);
      await expect(breaker.call(() => 1)).rejects.toBeInstanceOf(CircuitBreakerError);
      now = 1_100;
      expect(await breaker.call(() => 2)).toBe(2);
      expect(breaker.state).toBe("closed");
    });

    it("two breakers over one storage share one state", async () => {
      const storage = make();
      const a = new CircuitBreaker({ storage, failMax: 2 });
      const b = new CircuitBreaker({ storage, failMax: 2 });
      await a.call(() => Promise.reject(new Error("1"))).catch(() => 0);
      await b.call(() => Promise.reject(new Error("2"))).catch(() => 0);
      expect([a.state, b.state]).toEqual(["open", "open"]);
      a.close();
      expect(b.state).toBe("closed");
      expect(await b.call(() => "ok")).toBe("ok");
    });

    it("subscribe, when implemented, announces state changes, restores and freed trial slots until ended", () => {
      const storage = make();
      if (storage.subscribe === undefined) return;
      let heard = 0;
      const end = storage.subscribe(() => {
        heard++;
      });
      expect(typeof end).toBe("function");
      storage.setState("half-open", undefined);
      expect(heard).toBe(1);
      expect(storage.acquireTrial(storage.generation, 1)).toBe(true);
      storage.releaseTrial(storage.generation);
      expect(heard).toBe(2);
      // Nothing was taken: nothing is given back, nothing to announce.
      storage.releaseTrial(storage.generation);
      storage.releaseTrial(storage.generation - 1);
      expect(heard).toBe(2);
      storage.restore({
        state: "closed",
        failCounter: 0,
        successCounter: 0,
        openedAt: undefined,
        openDuration: undefined,
        openAttempts: 0,
      });
      expect(heard).toBe(3);
      end();
      storage.setState("open", 1);
      expect(heard).toBe(3);
    });
  });
}
