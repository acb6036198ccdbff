/**
 * Callers waiting for a half-open trial slot, oldest first. Bounded by the breaker's
 * `halfOpenQueueSize`; a waiter whose signal aborts leaves the queue at once with the
 * signal's reason.
 */
export class TrialQueue {
  readonly #waiters: Waiter[] = [];
  readonly #onAbandon: () => void;

  /** @param onAbandon called when a waiter leaves on its signal's abort */
  constructor(onAbandon: () => void) {
    this.#onAbandon = onAbandon;
  }

  get length(): number {
    return this.#waiters.length;
  }

  /** Resolves when `wakeOne` or `wakeAll` reaches this caller. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (event: Event): void => {
        // Still queued: waking a waiter removes this listener first.
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject((event.target as AbortSignal).reason as Error);
        this.#onAbandon();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Wakes the oldest waiter; returns whether there was one. */
  wakeOne(): boolean {
    const waiter = this.#waiters.shift();
    waiter?.resolve();
    return waiter !== undefined;
  }

  /** Wakes every waiter, oldest first. */
  wakeAll(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }
}

interface Waiter {
  resolve(): void;
}
