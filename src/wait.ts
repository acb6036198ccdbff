import type { Clock } from "./clock.js";
import { MAX_TIMER_DELAY } from "./deadline-queue.js";
import { describeValue } from "./describe.js";

/**
 * Resolves once `clock.now()` has reached the time `target()` names, or at once when it names
 * none. It holds one timer, and only while it waits; the target is read again each time the timer
 * fires, so a breaker that re-opens or closes meanwhile is followed. An aborted `signal` rejects
 * with the signal's reason and clears the timer.
 */
export function waitUntil(
  clock: Clock,
  target: () => number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal !== undefined && !isAbortSignal(signal)) {
    return Promise.reject(
      new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}`),
    );
  }
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const first = remaining(clock, target());
  if (first === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const arm = (delay: number): void => {
      timer = setTimeout(
        () => {
          const next = remaining(clock, target());
          if (next > 0) {
            arm(next);
            return;
          }
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        Math.min(delay, MAX_TIMER_DELAY),
      );
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    arm(first);
  });
}

function remaining(clock: Clock, at: number | undefined): number {
  return at === undefined ? 0 : Math.max(0, at - clock.now());
}

/** Whether `value` behaves as an `AbortSignal` (any realm's). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  );
}

/**
 * Callers waiting for "something changed", released all at once by `notify`. Holds no timer: a
 * waiter with nothing left to wake it does not keep the process alive.
 */
export class ChangeNotifier {
  #waiters: (() => void)[] = [];
  readonly #onAbandon: () => void;

  /** @param onAbandon called when a waiter leaves on its signal's abort */
  constructor(onAbandon: () => void) {
    this.#onAbandon = onAbandon;
  }

  get size(): number {
    return this.#waiters.length;
  }

  /** Resolves at the next `notify`, or at once when `ready` (the change came already). */
  wait(signal: AbortSignal | undefined, ready: boolean): Promise<void> {
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(
        new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}`),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(wake);
        if (at !== -1) this.#waiters.splice(at, 1);
        reject(signal?.reason as Error);
        this.#onAbandon();
      };
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }

  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
