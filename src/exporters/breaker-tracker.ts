import type {
  CircuitBreaker,
  CircuitBreakerListenerHooks,
  CircuitBreakerMonitor,
} from "../index.js";

/** What an exporter keeps for one breaker: at least the listener it added to it. */
export interface Tracked {
  readonly listener: CircuitBreakerListenerHooks;
}

/**
 * The breakers of a monitor, each with what an exporter keeps for it, followed as they come and
 * go (`monitor.watch`): a breaker that joins gets the exporter's listener, one that leaves loses
 * it and is forgotten, so it is no longer exported.
 */
export class BreakerTracker<T extends Tracked> {
  readonly #entries = new Map<CircuitBreaker, T>();
  readonly #unwatch: () => void;
  #closed = false;

  constructor(monitor: CircuitBreakerMonitor, track: (breaker: CircuitBreaker) => T) {
    this.#unwatch = monitor.watch({
      added: (breaker) => {
        const entry = track(breaker);
        breaker.addListener(entry.listener);
        this.#entries.set(breaker, entry);
      },
      removed: (breaker) => {
        // The monitor removes only breakers it told `added` of.
        const entry = this.#entries.get(breaker) as T;
        this.#entries.delete(breaker);
        breaker.removeListener(entry.listener);
      },
    });
  }

  /** The breakers followed now, in the order they joined. */
  entries(): IterableIterator<[CircuitBreaker, T]> {
    return this.#entries.entries();
  }

  /** Stops following the monitor and takes the listener off every breaker; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    for (const [breaker, entry] of this.#entries) breaker.removeListener(entry.listener);
    this.#entries.clear();
  }
}
