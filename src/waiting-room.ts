import { describeValue } from "./describe.js";
import type { CircuitBreakerStorage } from "./storage.js";
import { TrialQueue } from "./trial-queue.js";
import { ChangeNotifier } from "./wait.js";

/**
 * Everyone waiting on one breaker: callers queued for a half-open trial slot (with the slots held
 * for those already woken), and callers waiting for its next change (a rejection's
 * `waitUntilRetry`, a forced opening's end).
 *
 * Made on first use: an idle breaker carries none of it. The breaker wakes them at its own
 * changes. Over a storage that announces changes (`subscribe`), the room also listens to the
 * storage, but only while someone waits (or the breaker has listeners that hear changes):
 * changes another breaker or process makes then wake them too, and an idle breaker without such
 * listeners is never held by its storage.
 */
export class WaitingRoom {
  /** Trial slots held by woken queue waiters until they retry. */
  reserved = 0;
  #queue: TrialQueue | undefined;
  #changes: ChangeNotifier | undefined;
  readonly #storage: CircuitBreakerStorage;
  readonly #onStorageChange: () => void;
  readonly #onStorageError: (error: unknown) => void;
  #unsubscribe: (() => void) | undefined;
  #deliveryDue = false;
  #watching = false;
  readonly #leave = (): void => {
    this.#releaseStorage();
  };
  readonly #heard = (): void => {
    // A storage may announce from inside a write, mid-transition: act once that is over.
    if (this.#deliveryDue) return;
    this.#deliveryDue = true;
    queueMicrotask(this.#deliver);
  };
  readonly #deliver = (): void => {
    this.#deliveryDue = false;
    this.#onStorageChange();
    this.#releaseStorage();
  };

  /**
   * @param onStorageChange what the breaker does when its storage announces a change: catch up
   * with it, wake whoever it may let in.
   * @param onStorageError where a failing `subscribe` or unsubscribe goes; the waiters then wake
   * at this breaker's own changes only, as over a storage without `subscribe`.
   */
  constructor(
    storage: CircuitBreakerStorage,
    onStorageChange: () => void,
    onStorageError: (error: unknown) => void,
  ) {
    this.#storage = storage;
    this.#onStorageChange = onStorageChange;
    this.#onStorageError = onStorageError;
  }

  /** Callers queued for a trial slot. */
  get queued(): number {
    return this.#queue?.length ?? 0;
  }

  /** Queues a caller for a trial slot; resolves when a slot may be free. */
  enqueue(signal: AbortSignal | undefined): Promise<void> {
    this.#listenToStorage();
    return (this.#queue ??= new TrialQueue(this.#leave)).wait(signal);
  }

  /** Resolves at the next change, or at once when `ready` (the change came already). */
  nextChange(signal: AbortSignal | undefined, ready: boolean): Promise<void> {
    if (!ready) this.#listenToStorage();
    const wait = (this.#changes ??= new ChangeNotifier(this.#leave)).wait(signal, ready);
    // Nobody waits after all (a bad or aborted signal): stop listening.
    this.#releaseStorage();
    return wait;
  }

  /** A trial slot came free: the oldest queued caller may take it; change waiters retry. */
  wakeOne(): void {
    const queue = this.#queue;
    if (queue !== undefined && queue.length !== 0 && queue.wakeOne()) this.reserved++;
    this.#changes?.notify();
    this.#releaseStorage();
  }

  /** Anything may have changed: everyone retries, and no reservation stands. */
  wakeAll(): void {
    this.reserved = 0;
    this.#queue?.wakeAll();
    this.#changes?.notify();
    this.#releaseStorage();
  }

  /** Change waiters retry (a pending trial slot may have been answered); nobody is dequeued. */
  notifyChanges(): void {
    this.#changes?.notify();
    this.#releaseStorage();
  }

  /**
   * Keeps the storage subscription while `on`, waiters or not: for listeners that hear changes,
   * so that they hear other breakers' and processes' changes when they happen.
   */
  watch(on: boolean): void {
    this.#watching = on;
    if (on) this.#listenToStorage();
    else this.#releaseStorage();
  }

  /** Subscribes to the storage's changes, for a waiter about to be added. */
  #listenToStorage(): void {
    if (this.#unsubscribe !== undefined) return;
    const storage = this.#storage;
    if (storage.subscribe === undefined) return;
    let unsubscribe: unknown;
    try {
      unsubscribe = storage.subscribe(this.#heard);
    } catch (error) {
      this.#onStorageError(error);
      return;
    }
    if (typeof unsubscribe !== "function") {
      this.#onStorageError(
        new TypeError(
          `storage.subscribe() must return a function that ends the subscription, got ${describeValue(unsubscribe)}`,
        ),
      );
      return;
    }
    this.#unsubscribe = unsubscribe as () => void;
  }

  #releaseStorage(): void {
    if (this.#unsubscribe === undefined || this.#waiters() !== 0) return;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    try {
      unsubscribe();
    } catch (error) {
      this.#onStorageError(error);
    }
  }

  #waiters(): number {
    return (this.#queue?.length ?? 0) + (this.#changes?.size ?? 0) + (this.#watching ? 1 : 0);
  }
}
