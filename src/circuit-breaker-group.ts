import { CircuitBreaker } from "./circuit-breaker.js";
import { systemClock, type Clock } from "./clock.js";
import { describeValue } from "./describe.js";
import { CircuitBreakerMode } from "./mode.js";
import type { CircuitBreakerMonitor } from "./monitor.js";
import type { CircuitBreakerOptions } from "./options.js";
import { CircuitBreakerState } from "./state.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { isThenable } from "./thenable.js";
import { assertDuration, assertInteger } from "./validate.js";

/**
 * Options of {@link CircuitBreakerGroup}: the options every breaker gets, and the group's own.
 * An option left out or given as `undefined` takes its default; `null` is a `TypeError`.
 */
export interface CircuitBreakerGroupOptions extends Omit<
  CircuitBreakerOptions,
  "name" | "monitor" | "initialState" | "storage"
> {
  /**
   * The group's name; each breaker is named `${name}:${key}`, and the overflow breaker
   * `${name}:overflow` (keys that would be named like it are escaped: see the class).
   */
  name: string;
  /** Most breakers held at once; an integer >= 1. Default 1 000. */
  maxKeys?: number | undefined;
  /** A breaker unused this long (ms) may be evicted, if it is clean (see the class). Default 300 000. */
  idleTimeout?: number | undefined;
  /**
   * Where each breaker is registered (and unregistered when evicted): an object with `register`
   * and `unregister` methods, checked at construction.
   */
  monitor?: CircuitBreakerMonitor | undefined;
  /**
   * Builds the storage of each key's breaker; default a memory storage each. Each call must build
   * a storage of its own: evicting a key's breaker closes the storage built for it (its `close()`,
   * when it has one; a failure goes to `onListenerError` as `"storage"`).
   */
  storage?: ((key: string) => CircuitBreakerStorage) | undefined;
  /**
   * Longest key, in characters; an integer >= 1. Default 1 024. A longer key is a `RangeError`
   * from `get` (and a rejection from `call`); `has` answers `false` for it.
   */
  maxKeyLength?: number | undefined;
}

interface Entry {
  readonly breaker: CircuitBreaker;
  /** The storage the group's factory built for it, which eviction closes. */
  readonly storage: CircuitBreakerStorage | undefined;
  lastUsed: number;
}

/** Entries examined per pass of an eviction: bounds the work a flood of new keys can cause. */
const EVICTION_SCAN = 16;

/**
 * Default `maxKeyLength`. Keys are hosts, tenants, routes: a kilobyte holds any of them, and
 * engines hash strings past about 16 000 characters by their length alone, so that long keys
 * would all collide in the maps every lookup goes through.
 */
const MAX_KEY_LENGTH = 1_024;

/** Keys named like the overflow breaker, or like an escaped one: `overflow`, `_overflow`, … */
const ESCAPED_KEY = /^_*overflow$/;

/**
 * One breaker per key (host, tenant, route), from shared options, created on first use.
 *
 * Memory is bounded by `maxKeys`, and breakers idle for `idleTimeout` are evicted. Eviction only
 * ever takes a *clean* breaker: enabled, closed, no call in flight, no consecutive failures and
 * no failure in its window. A breaker that holds failures, has a call in flight or is open
 * stays, so flooding the group with new keys cannot wipe a failing key's history. When the
 * group is full and none of the oldest breakers is clean, new keys share one overflow breaker
 * (`${name}:overflow`) until room frees up. Evicting a breaker closes the storage that the
 * `storage` factory built for it.
 *
 * Each key's breaker is named `${name}:${key}`, except that a key made of underscores followed
 * by `overflow` (`overflow`, `_overflow`, …) gets one more underscore (`${name}:_overflow`), so
 * that no key's breaker shares the overflow breaker's name, in a monitor or in errors. `keys()`,
 * `has()` and `get()` take the keys as given. A key is at most `maxKeyLength` characters.
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
  readonly #maxKeyLength: number;
  readonly #monitor: CircuitBreakerMonitor | undefined;
  readonly #storage: ((key: string) => CircuitBreakerStorage) | undefined;
  readonly #clock: Clock;
  /** In order of last use, oldest first. */
  readonly #entries = new Map<string, Entry>();
  /**
   * Entries a sweep found idle but not clean, in order of that check, oldest first. They are
   * kept apart so that `#entries` stays in order of last use (a sweep stops at the first entry
   * that is not idle) while they are still checked again, a few per sweep.
   */
  readonly #parked = new Map<string, Entry>();
  #overflow: CircuitBreaker | undefined;

  constructor(options: CircuitBreakerGroupOptions) {
    if (typeof options !== "object" || (options as unknown) === null) {
      throw new TypeError(`group options must be an object, got ${describeValue(options)}`);
    }
    const {
      name,
      maxKeys = 1_000,
      idleTimeout = 300_000,
      maxKeyLength = MAX_KEY_LENGTH,
      monitor,
      storage,
      ...shared
    } = options;
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`group name must be a non-empty string, got ${describeValue(name)}`);
    }
    assertInteger("maxKeys", maxKeys, 1);
    assertDuration("idleTimeout", idleTimeout);
    assertInteger("maxKeyLength", maxKeyLength, 1);
    if (storage !== undefined && typeof storage !== "function") {
      throw new TypeError(
        `group storage must be a function (key) => storage, got ${describeValue(storage)}`,
      );
    }
    if (monitor !== undefined && !isMonitor(monitor)) {
      throw new TypeError(
        "group monitor must be a CircuitBreakerMonitor (an object with register and unregister " +
          `methods), got ${describeValue(monitor)}`,
      );
    }
    // Every breaker reads these; a one-shot iterable (a generator) would serve only the first.
    if (isIterable(shared.exclude)) shared.exclude = [...shared.exclude];
    if (isIterable(shared.listeners)) shared.listeners = [...shared.listeners];
    // Building one breaker checks the shared options now rather than on the first key.
    new CircuitBreaker(shared);
    this.#name = name;
    this.#options = shared;
    this.#maxKeys = maxKeys;
    this.#idleTimeout = idleTimeout;
    this.#maxKeyLength = maxKeyLength;
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
    return this.#entries.size + this.#parked.size;
  }

  /** The keys held, oldest use first. */
  keys(): string[] {
    const held = [...this.#parked, ...this.#entries];
    // Parked entries left the order of use; a stable sort puts them back, ties as they were.
    held.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    return held.map(([key]) => key);
  }

  /** Whether `key` has a breaker now; `false` for a key no breaker can have (too long, say). */
  has(key: string): boolean {
    if (typeof key !== "string" || key.length > this.#maxKeyLength) return false;
    return this.#entries.has(key) || this.#parked.has(key);
  }

  /**
   * The breaker for `key`, created on first use (or the overflow breaker when full of unclean
   * ones). A key that is not a string is a `TypeError`; one longer than `maxKeyLength` a
   * `RangeError`.
   */
  get(key: string): CircuitBreaker {
    if (typeof key !== "string") {
      throw new TypeError(`a group key must be a string, got ${describeValue(key)}`);
    }
    const now = this.#clock.now();
    const entries = this.#entries;
    let entry = entries.get(key);
    if (entry !== undefined) {
      // Re-inserting keeps the map in order of last use.
      entries.delete(key);
    } else if ((entry = this.#parked.get(key)) !== undefined) {
      this.#parked.delete(key);
    }
    if (entry !== undefined) {
      entries.set(key, entry);
      entry.lastUsed = now;
      return entry.breaker;
    }
    // Only a new key is measured: a held one passed this check when it was created.
    if (key.length > this.#maxKeyLength) {
      throw new RangeError(
        `a group key may have at most maxKeyLength (${String(this.#maxKeyLength)}) characters, got ${String(key.length)}: ${describeValue(key)}`,
      );
    }
    this.#evictIdle(now, EVICTION_SCAN);
    if (this.size >= this.#maxKeys && !this.#evictOne()) return this.#overflowBreaker();
    const name = `${this.#name}:${ESCAPED_KEY.test(key) ? "_" : ""}${key}`;
    const storage = this.#storage?.(key);
    let breaker: CircuitBreaker;
    try {
      breaker = this.#create(name, storage);
    } catch (error) {
      // A storage no breaker took (one the breaker refused) must not keep what it opened.
      if (storage !== undefined) void this.#close(storage, name);
      throw error;
    }
    entries.set(key, { breaker, storage, lastUsed: now });
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
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- get() throws only TypeErrors and RangeErrors
      return Promise.reject(error);
    }
    return breaker.call(fn, ...args);
  }

  /**
   * Evicts every clean breaker idle for `idleTimeout` (each idle one is checked, in time linear
   * in the number held); returns how many went. The sweep that `get` runs on a new key checks
   * only a few, so that a flood of new keys stays cheap.
   */
  evictIdle(): number {
    const before = this.size;
    this.#evictIdle(this.#clock.now(), Infinity);
    return before - this.size;
  }

  /** Checks at most `limit` parked entries, then at most `limit` idle ones in order of use. */
  #evictIdle(now: number, limit: number): void {
    // Parked entries first, each checked again in turn: one may have become clean since. An
    // entry parked again goes to the end, where this pass must not meet it twice.
    const parked = this.#parked;
    let scanned = Math.min(parked.size, limit);
    for (const [key, entry] of parked) {
      if (scanned-- === 0) break;
      parked.delete(key);
      if (isClean(entry.breaker)) void this.#retire(entry);
      else parked.set(key, entry);
    }
    scanned = 0;
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastUsed < this.#idleTimeout || scanned++ >= limit) return;
      this.#entries.delete(key);
      if (isClean(entry.breaker)) void this.#retire(entry);
      else parked.set(key, entry);
    }
  }

  /** Evicts the least recently used clean breaker among the oldest few; false if none is clean. */
  #evictOne(): boolean {
    // Parked entries are idle: older in use than any entry that is not.
    return this.#evictFirstClean(this.#parked) || this.#evictFirstClean(this.#entries);
  }

  #evictFirstClean(map: Map<string, Entry>): boolean {
    let scanned = 0;
    for (const [key, entry] of map) {
      if (scanned++ >= EVICTION_SCAN) return false;
      if (isClean(entry.breaker)) {
        map.delete(key);
        void this.#retire(entry);
        return true;
      }
    }
    return false;
  }

  #overflowBreaker(): CircuitBreaker {
    return (this.#overflow ??= this.#create(`${this.#name}:overflow`, undefined));
  }

  #create(name: string, storage: CircuitBreakerStorage | undefined): CircuitBreaker {
    const options: CircuitBreakerOptions = { ...this.#options, name };
    if (this.#monitor !== undefined) options.monitor = this.#monitor;
    if (storage !== undefined) options.storage = storage;
    return new CircuitBreaker(options);
  }

  /**
   * Lets every breaker go, as eviction does (out of the monitor, the storages the factory built
   * closed), whatever state it is in; resolves once those storages have closed. The group is
   * empty afterwards and makes breakers anew on use. For shutting down: a storage shared by a
   * fleet holds connections and timers until it is closed.
   */
  async close(): Promise<void> {
    const entries = [...this.#parked.values(), ...this.#entries.values()];
    this.#parked.clear();
    this.#entries.clear();
    if (this.#overflow !== undefined) this.#monitor?.unregister(this.#overflow);
    this.#overflow = undefined;
    await Promise.all(entries.map((entry) => this.#retire(entry)));
  }

  /** An evicted breaker leaves the monitor, and the storage built for it is closed. */
  #retire(entry: Entry): Promise<void> {
    this.#monitor?.unregister(entry.breaker);
    return entry.storage === undefined
      ? Promise.resolve()
      : this.#close(entry.storage, entry.breaker.name ?? "");
  }

  /** Calls the storage's `close()`, if it has one; a failure is reported, never thrown. */
  #close(storage: CircuitBreakerStorage, name: string): Promise<void> {
    try {
      const closing = storage.close?.();
      if (isThenable(closing)) {
        return Promise.resolve(closing).then(
          () => undefined,
          (error: unknown) => {
            this.#closeFailed(name, error);
          },
        );
      }
    } catch (error) {
      this.#closeFailed(name, error);
    }
    return Promise.resolve();
  }

  /** A failed close goes to `onListenerError` as a storage fault, else to the console. */
  #closeFailed(name: string, error: unknown): void {
    const handler = this.#options.onListenerError;
    if (handler === undefined) {
      console.error(
        `aiobreaker: closing the storage of the breaker ${JSON.stringify(name)} failed`,
        error,
      );
      return;
    }
    try {
      const result = handler(error, "storage");
      if (isThenable(result)) {
        result.then(undefined, (handlerError: unknown) => {
          console.error(handlerError, error);
        });
      }
    } catch (handlerError) {
      // The handler itself failed: the console is the one place left that loses neither error.
      console.error(handlerError, error);
    }
  }
}

/**
 * Nothing to lose: enabled, closed, no call in flight (its outcome would land on an evicted
 * breaker), no consecutive failures, no failure in the window.
 */
function isClean(breaker: CircuitBreaker): boolean {
  return (
    breaker.inFlight === 0 &&
    breaker.mode === CircuitBreakerMode.ENABLED &&
    breaker.state === CircuitBreakerState.CLOSED &&
    breaker.failCounter === 0 &&
    breaker.metrics.failures === 0
  );
}

function isMonitor(value: unknown): value is CircuitBreakerMonitor {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<CircuitBreakerMonitor>).register === "function" &&
    typeof (value as Partial<CircuitBreakerMonitor>).unregister === "function"
  );
}

/** An iterable object; anything else is left for the breaker's own check to name. */
function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.iterator in value;
}
