import { CircuitBreaker } from "./circuit-breaker.js";
import { systemClock, type Clock } from "./clock.js";
import { describeValue } from "./describe.js";
import { CircuitBreakerMode } from "./mode.js";
import type { CircuitBreakerMonitor } from "./monitor.js";
import type { CircuitBreakerOptions } from "./options.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { assertDuration, assertInteger } from "./validate.js";

/** Options of {@link CircuitBreakerGroup}: the options every breaker gets, and the group's own. */
export interface CircuitBreakerGroupOptions extends Omit<
  CircuitBreakerOptions,
  "name" | "monitor" | "initialState" | "storage"
> {
  /** The group's name; each breaker is named `${name}:${key}`. */
  name: string;
  /** Most breakers held at once; an integer >= 1. Default 1 000. */
  maxKeys?: number;
  /** A breaker unused this long (ms) may be evicted, if it is clean (see the class). Default 300 000. */
  idleTimeout?: number;
  /** Where each breaker is registered (and unregistered when evicted). */
  monitor?: CircuitBreakerMonitor;
  /** Builds the storage of each key's breaker; default a memory storage each. */
  storage?: (key: string) => CircuitBreakerStorage;
}

interface Entry {
  readonly breaker: CircuitBreaker;
  lastUsed: number;
}

/** Entries examined per eviction attempt: bounds the work a flood of new keys can cause. */
const EVICTION_SCAN = 16;

/**
 * One breaker per key (host, tenant, route), from shared options, created on first use.
 *
 * Memory is bounded by `maxKeys`, and breakers idle for `idleTimeout` are evicted. Eviction only
 * ever takes a *clean* breaker: enabled, closed, no consecutive failures and no failure in its
 * window. A breaker that holds failures or is open stays, so flooding the group with new keys
 * cannot wipe a failing key's history. When the group is full and nothing is clean, new keys
 * share one overflow breaker (`${name}:overflow`) until room frees up.
 *
 * @example
 * ```ts
 * const perHost = new CircuitBreakerGroup({ name: "upstream", failMax: 3, maxKeys: 500 });
 * const body = await perHost.call(url.host, fetchText, url);
 * ```
 */
export class CircuitBreakerGroup {
  readonly #name: string;
  readonly #options: CircuitBreakerOptions;
  readonly #maxKeys: number;
  readonly #idleTimeout: number;
  readonly #monitor: CircuitBreakerMonitor | undefined;
  readonly #storage: ((key: string) => CircuitBreakerStorage) | undefined;
  readonly #clock: Clock;
  /** In order of last use, oldest first. */
  readonly #entries = new Map<string, Entry>();
  #overflow: CircuitBreaker | undefined;

  constructor(options: CircuitBreakerGroupOptions) {
    if (typeof options !== "object" || (options as unknown) === null) {
      throw new TypeError(`group options must be an object, got ${describeValue(options)}`);
    }
    const { name, maxKeys = 1_000, idleTimeout = 300_000, monitor, storage, ...shared } = options;
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`group name must be a non-empty string, got ${describeValue(name)}`);
    }
    assertInteger("maxKeys", maxKeys, 1);
    assertDuration("idleTimeout", idleTimeout);
    if (storage !== undefined && typeof storage !== "function") {
      throw new TypeError(
        `group storage must be a function (key) => storage, got ${describeValue(storage)}`,
      );
    }
    // Building one breaker checks the shared options now rather than on the first key.
    new CircuitBreaker(shared);
    this.#name = name;
    this.#options = shared;
    this.#maxKeys = maxKeys;
    this.#idleTimeout = idleTimeout;
    this.#monitor = monitor;
    this.#storage = storage;
    this.#clock = shared.clock ?? systemClock;
  }

  /** The group's name. */
  get name(): string {
    return this.#name;
  }

  /** Breakers held now (the overflow breaker not included). */
  get size(): number {
    return this.#entries.size;
  }

  /** The keys held, oldest use first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Whether `key` has a breaker now. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The breaker for `key`, created on first use (or the overflow breaker when full of unclean ones). */
  get(key: string): CircuitBreaker {
    if (typeof key !== "string") {
      throw new TypeError(`a group key must be a string, got ${describeValue(key)}`);
    }
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      // Re-inserting keeps the map in order of last use.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      entry.lastUsed = now;
      return entry.breaker;
    }
    this.#evictIdle(now);
    if (this.#entries.size >= this.#maxKeys && !this.#evictOne()) return this.#overflowBreaker();
    const breaker = this.#create(`${this.#name}:${key}`, key);
    this.#entries.set(key, { breaker, lastUsed: now });
    return breaker;
  }

  /** Runs `fn(...args)` through the breaker for `key`. */
  call<Args extends unknown[], Result>(
    key: string,
    fn: (...args: Args) => Result,
    ...args: Args
  ): Promise<Awaited<Result>> {
    let breaker: CircuitBreaker;
    try {
      breaker = this.get(key);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- get() throws only TypeErrors
      return Promise.reject(error);
    }
    return breaker.call(fn, ...args);
  }

  /** Evicts the clean breakers idle for `idleTimeout`; returns how many went. */
  evictIdle(): number {
    const before = this.#entries.size;
    this.#evictIdle(this.#clock.now());
    return before - this.#entries.size;
  }

  #evictIdle(now: number): void {
    let scanned = 0;
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastUsed < this.#idleTimeout || scanned++ >= EVICTION_SCAN) return;
      if (isClean(entry.breaker)) this.#evict(key, entry);
      else {
        // Idle but holding failures: keep it, behind the others, so the sweep moves on.
        this.#entries.delete(key);
        this.#entries.set(key, entry);
      }
    }
  }

  /** Evicts the least recently used clean breaker among the oldest few; false if none is clean. */
  #evictOne(): boolean {
    let scanned = 0;
    for (const [key, entry] of this.#entries) {
      if (scanned++ >= EVICTION_SCAN) return false;
      if (isClean(entry.breaker)) {
        this.#evict(key, entry);
        return true;
      }
    }
    return false;
  }

  #evict(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#monitor?.unregister(entry.breaker);
  }

  #overflowBreaker(): CircuitBreaker {
    return (this.#overflow ??= this.#create(`${this.#name}:overflow`, undefined));
  }

  #create(name: string, key: string | undefined): CircuitBreaker {
    const options: CircuitBreakerOptions = { ...this.#options, name };
    if (this.#monitor !== undefined) options.monitor = this.#monitor;
    if (this.#storage !== undefined && key !== undefined) options.storage = this.#storage(key);
    return new CircuitBreaker(options);
  }
}

/** Nothing to lose: enabled, closed, no consecutive failures, no failure in the window. */
function isClean(breaker: CircuitBreaker): boolean {
  return (
    breaker.mode === CircuitBreakerMode.ENABLED &&
    breaker.state === CircuitBreakerState.CLOSED &&
    breaker.failCounter === 0 &&
    breaker.metrics.failures === 0
  );
}
