// A value import, used only inside methods: the class is defined by the time one is called.
import { CircuitBreaker } from "./circuit-breaker.js";
import { describeValue } from "./describe.js";
import type { CircuitBreakerSnapshot } from "./snapshot.js";
import { CircuitBreakerState } from "./state.js";

/**
 * A registry of named breakers. A breaker joins only when asked (`register`, or the breaker's
 * `monitor` option): there is no global registry.
 *
 * @example
 * ```ts
 * const monitor = new CircuitBreakerMonitor();
 * const db = new CircuitBreaker({ name: "db", monitor });
 * app.get("/health", () => ({ ok: monitor.allClosed(), breakers: monitor.snapshot() }));
 * ```
 */
export class CircuitBreakerMonitor {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #watchers = new Set<MonitorWatcher>();

  /**
   * Follows the breakers of this monitor: `added` is called at once for every breaker registered
   * now, then for each one registered later; `removed` for each one unregistered. Returns the
   * function that stops it. Exporters use it to cover breakers made after they start.
   *
   * A watcher that throws from the `added` calls made here throws from `watch`; later, its errors
   * go to `console.error` (they must not break `register`, which a breaker's constructor calls).
   *
   * @example
   * ```ts
   * const stop = monitor.watch({
   *   added: (breaker) => breaker.addListener(logger),
   *   removed: (breaker) => breaker.removeListener(logger),
   * });
   * ```
   */
  watch(watcher: MonitorWatcher): () => void {
    if (
      typeof watcher !== "object" ||
      (watcher as unknown) === null ||
      (watcher.added !== undefined && typeof watcher.added !== "function") ||
      (watcher.removed !== undefined && typeof watcher.removed !== "function")
    ) {
      throw new TypeError(
        `monitor.watch expects { added?(breaker), removed?(breaker) }, got ${describeValue(watcher)}`,
      );
    }
    const entry: MonitorWatcher = { ...watcher };
    for (const breaker of this.#breakers.values()) entry.added?.(breaker);
    this.#watchers.add(entry);
    return () => {
      this.#watchers.delete(entry);
    };
  }

  #tell(event: "added" | "removed", breaker: CircuitBreaker): void {
    for (const watcher of this.#watchers) {
      try {
        watcher[event]?.(breaker);
      } catch (error) {
        console.error(`aiobreaker: a monitor watcher's ${event} failed`, error);
      }
    }
  }

  /**
   * Adds a breaker; it must be a {@link CircuitBreaker} with a name no other breaker here has.
   * Anything else is a `TypeError`: the monitor reads each breaker's state and `toJSON()`.
   */
  register(breaker: CircuitBreaker): void {
    assertBreaker("register", breaker);
    const name = breaker.name;
    if (name === undefined) {
      throw new TypeError(
        "only a named breaker can join a monitor; got a CircuitBreaker with no name " +
          "(give it the name option)",
      );
    }
    const existing = this.#breakers.get(name);
    if (existing === breaker) return;
    if (existing !== undefined) {
      throw new Error(
        `a breaker named ${JSON.stringify(name)} is already registered in this monitor`,
      );
    }
    this.#breakers.set(name, breaker);
    this.#tell("added", breaker);
  }

  /**
   * Removes a breaker; returns whether it was registered. Anything but a {@link CircuitBreaker}
   * is a `TypeError`.
   */
  unregister(breaker: CircuitBreaker): boolean {
    assertBreaker("unregister", breaker);
    const name = breaker.name;
    if (name === undefined || this.#breakers.get(name) !== breaker) return false;
    this.#breakers.delete(name);
    this.#tell("removed", breaker);
    return true;
  }

  /** The breaker registered under `name`, or `undefined`. */
  get(name: string): CircuitBreaker | undefined {
    return this.#breakers.get(name);
  }

  /** Every registered breaker, in registration order. */
  getCircuits(): CircuitBreaker[] {
    return [...this.#breakers.values()];
  }

  /** The open breakers. */
  getOpen(): CircuitBreaker[] {
    return this.#inState(CircuitBreakerState.OPEN);
  }

  /** The closed breakers. */
  getClosed(): CircuitBreaker[] {
    return this.#inState(CircuitBreakerState.CLOSED);
  }

  /** The half-open breakers. */
  getHalfOpen(): CircuitBreaker[] {
    return this.#inState(CircuitBreakerState.HALF_OPEN);
  }

  /** Whether every registered breaker is closed (true when there are none). */
  allClosed(): boolean {
    for (const breaker of this.#breakers.values()) {
      if (breaker.state !== CircuitBreakerState.CLOSED) return false;
    }
    return true;
  }

  /**
   * Every breaker as plain JSON (each one's `toJSON()`: state, mode, counters, times, window,
   * metrics, `stats`, and `nextCallIsTrial` for an open breaker whose `retryAt` has passed).
   */
  snapshot(): CircuitBreakerSnapshot[] {
    return this.getCircuits().map((breaker) => breaker.toJSON());
  }

  #inState(state: CircuitBreakerState): CircuitBreaker[] {
    return this.getCircuits().filter((breaker) => breaker.state === state);
  }
}

function assertBreaker(method: string, value: unknown): asserts value is CircuitBreaker {
  if (!(value instanceof CircuitBreaker)) {
    throw new TypeError(`monitor.${method} expects a CircuitBreaker, got ${describeValue(value)}`);
  }
}

/** What {@link CircuitBreakerMonitor.watch} calls. */
export interface MonitorWatcher {
  /** A breaker is in the monitor: registered before `watch` was called, or since. */
  added?(breaker: CircuitBreaker): void;
  /** A breaker left the monitor. */
  removed?(breaker: CircuitBreaker): void;
}
