import { monotonicNow } from "./monotonic.js";

/** Something that expires at `deadline` (ms on the `performance.now()` scale) unless removed. */
export interface Deadline {
  deadline: number;
  expire(): void;
  /** Links, owned by the queue. */
  previous: Deadline | undefined;
  next: Deadline | undefined;
  queued: boolean;
}

const now = monotonicNow;

/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.8 days); a longer one fires at once.
 * A later deadline is reached in several rounds.
 */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** Deno's timer controls, where they exist. */
const deno = (
  globalThis as {
    Deno?: { refTimer?: (id: number) => void; unrefTimer?: (id: number) => void };
  }
).Deno;

/**
 * Deadlines of one breaker's calls, ordered, under a single timer. A timer per call would cost
 * several times the call itself; with one timeout per breaker deadlines arrive in order, so
 * adding and removing are O(1) and the timer is re-armed at most once per timeout period.
 *
 * The timer is referenced (keeps the process alive) only while a deadline is queued. When the
 * queue empties the timer is left to run out, unreferenced, instead of being cleared and
 * re-created for the next call; it ends by itself within one timeout.
 */
export class DeadlineQueue {
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #referenced = false;
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#expireDue();
  };

  /** The time deadlines are measured in (`performance.now()`). */
  now(): number {
    return now();
  }

  /** Queues `entry` to expire `delay` ms from now. */
  add(entry: Deadline, delay: number): void {
    entry.deadline = now() + delay;
    this.insert(entry);
  }

  /** Queues `entry` to expire at its `deadline` (on the scale of `now()`). */
  insert(entry: Deadline): void {
    entry.queued = true;
    // Usually the latest deadline: walk back from the tail only when timeouts differ.
    let after = this.#tail;
    while (after !== undefined && after.deadline > entry.deadline) after = after.previous;
    entry.previous = after;
    entry.next = after === undefined ? this.#head : after.next;
    if (entry.next === undefined) this.#tail = entry;
    else entry.next.previous = entry;
    if (after === undefined) this.#head = entry;
    else after.next = entry;
    this.#arm();
  }

  /** Takes `entry` out without expiring it; does nothing if it is not queued. */
  remove(entry: Deadline): void {
    if (!entry.queued) return;
    entry.queued = false;
    if (entry.previous === undefined) this.#head = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.previous;
    else entry.next.previous = entry.previous;
    entry.previous = entry.next = undefined;
    if (this.#head === undefined) this.#setReferenced(false);
  }

  #expireDue(): void {
    const at = now();
    let entry = this.#head;
    while (entry !== undefined && entry.deadline <= at) {
      this.remove(entry);
      entry.expire();
      entry = this.#head;
    }
    this.#arm();
  }

  #arm(): void {
    const head = this.#head;
    if (head === undefined) return;
    if (this.#timer === undefined || head.deadline < this.#timerAt) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      // Timers may fire a little early against performance.now(); the next round catches up.
      const at = now();
      const delay = Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(head.deadline - at)));
      this.#timer = setTimeout(this.#fire, delay);
      this.#timerAt = Math.min(head.deadline, at + delay);
      this.#referenced = true;
      return;
    }
    this.#setReferenced(true);
  }

  #setReferenced(referenced: boolean): void {
    if (this.#referenced === referenced || this.#timer === undefined) return;
    this.#referenced = referenced;
    const timer: unknown = this.#timer;
    if (typeof timer === "object" && timer !== null) {
      // Node, Bun and Deno 2: timer objects.
      const handle = timer as { ref?: () => unknown; unref?: () => unknown };
      if (referenced) handle.ref?.();
      else handle.unref?.();
    } else if (typeof timer === "number" && deno !== undefined) {
      // Older Deno: numeric ids, referenced through its namespace. (Browsers hold no process.)
      if (referenced) deno.refTimer?.(timer);
      else deno.unrefTimer?.(timer);
    }
  }
}
