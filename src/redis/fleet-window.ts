import type { SharedWindow, SharedWindowRule } from "../index.js";
import type { ClockOffset } from "./clock-offset.js";

type Counts = [calls: number, failures: number, slow: number];

/**
 * A time window kept by Redis for the whole fleet. Buckets are aligned to the epoch on the
 * server's clock. The totals are the fleet's buckets as last read (every answer to a record,
 * and every resync) plus this process's outcomes not sent yet; failures and slow calls are sent
 * at once, plain successes in a batch at each resync tick.
 */
export class FleetWindow implements SharedWindow {
  readonly rule: SharedWindowRule;
  readonly width: number;
  readonly #offset: ClockOffset;
  readonly #urgent: () => void;
  /** What Redis answered, by bucket index. */
  #fleet = new Map<number, Counts>();
  /** Recorded here and not sent yet, by bucket index. */
  #pending = new Map<number, Counts>();
  #calls = 0;
  #failures = 0;
  #slowCalls = 0;
  #current = -Infinity;

  /** `urgent` is called when a failure or a slow call is recorded: those are sent at once. */
  constructor(rule: SharedWindowRule, offset: ClockOffset, urgent: () => void) {
    this.rule = rule;
    this.width = rule.duration / rule.buckets;
    this.#offset = offset;
    this.#urgent = urgent;
  }

  get calls(): number {
    return this.#calls;
  }

  get failures(): number {
    return this.#failures;
  }

  get slowCalls(): number {
    return this.#slowCalls;
  }

  /** Whether outcomes wait to be sent. */
  get hasPending(): boolean {
    return this.#pending.size !== 0;
  }

  record(now: number, flags: number): void {
    const index = this.#index(now);
    this.#roll(index);
    let counts = this.#pending.get(index);
    if (counts === undefined) {
      counts = [0, 0, 0];
      this.#pending.set(index, counts);
    }
    counts[0]++;
    this.#calls++;
    if ((flags & 1) !== 0) {
      counts[1]++;
      this.#failures++;
    }
    if ((flags & 2) !== 0) {
      counts[2]++;
      this.#slowCalls++;
    }
    if (flags !== 0) this.#urgent();
  }

  advance(now: number): void {
    this.#roll(this.#index(now));
  }

  /** Takes the outcomes not sent yet, as a script's batch (`k:calls:failures:slow;...`). */
  takeBatch(): string {
    const parts: string[] = [];
    for (const [index, [calls, failures, slow]] of this.#pending) {
      parts.push(`${String(index)}:${String(calls)}:${String(failures)}:${String(slow)}`);
      // Counted as the fleet's until Redis answers with its buckets.
      const fleet = this.#fleet.get(index);
      if (fleet === undefined) this.#fleet.set(index, [calls, failures, slow]);
      else {
        fleet[0] += calls;
        fleet[1] += failures;
        fleet[2] += slow;
      }
    }
    this.#pending = new Map();
    return parts.join(";");
  }

  /** Takes Redis's buckets (`k:calls:failures:slow;...`), keeping what is not sent yet. */
  adopt(buckets: string): void {
    const fleet = new Map<number, Counts>();
    if (buckets !== "") {
      for (const part of buckets.split(";")) {
        const [index, calls, failures, slow] = part.split(":").map(Number) as [
          number,
          number,
          number,
          number,
        ];
        fleet.set(index, [calls, failures, slow]);
      }
    }
    this.#fleet = fleet;
    this.#total();
  }

  /** Empties the window (the breaker closed). */
  clear(): void {
    this.#fleet = new Map();
    this.#pending = new Map();
    this.#total();
  }

  #index(now: number): number {
    return Math.floor(this.#offset.toServer(now) / this.width);
  }

  #roll(index: number): void {
    if (index <= this.#current) return;
    this.#current = index;
    const first = index - this.rule.buckets + 1;
    let dropped = false;
    for (const map of [this.#fleet, this.#pending]) {
      for (const key of map.keys()) {
        if (key < first) {
          map.delete(key);
          dropped = true;
        }
      }
    }
    if (dropped) this.#total();
  }

  #total(): void {
    let calls = 0;
    let failures = 0;
    let slow = 0;
    const first = this.#current - this.rule.buckets + 1;
    for (const map of [this.#fleet, this.#pending]) {
      for (const [index, counts] of map) {
        if (index < first) continue;
        calls += counts[0];
        failures += counts[1];
        slow += counts[2];
      }
    }
    this.#calls = calls;
    this.#failures = failures;
    this.#slowCalls = slow;
  }
}
