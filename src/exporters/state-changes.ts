import type { CircuitBreakerState } from "../index.js";
import { STATES } from "./call-outcomes.js";

/** Changes of one breaker's state, counted by origin and destination (six possible pairs). */
export class StateChangeCounts {
  readonly #counts = [0, 0, 0, 0, 0, 0, 0, 0, 0];

  /** Counts one change reported by a breaker's `stateChange` hook. */
  add(from: CircuitBreakerState, to: CircuitBreakerState): void {
    const at = STATES.indexOf(from) * STATES.length + STATES.indexOf(to);
    this.#counts[at] = (this.#counts[at] as number) + 1;
  }

  /** Calls `visit` for each of the six pairs of different states, with its count (0 included). */
  forEach(
    visit: (from: CircuitBreakerState, to: CircuitBreakerState, count: number) => void,
  ): void {
    STATES.forEach((from, origin) => {
      STATES.forEach((to, destination) => {
        if (origin !== destination) {
          visit(from, to, this.#counts[origin * STATES.length + destination] as number);
        }
      });
    });
  }
}
