// The reference model of one breaker's state machine (consecutive failures), written as plainly
// as possible: the property tests drive a breaker, or a fleet of them, and this side by side.
import type { CircuitBreakerState } from "../../src/index.js";

/** A reference model of the state machine, written as plainly as possible. */
export class Model {
  state: CircuitBreakerState = "closed";
  failCounter = 0;
  successCounter = 0;
  openedAt: number | undefined;
  generation = 0;
  trials = 0;

  readonly failMax: number;
  readonly resetTimeout: number;
  readonly successThreshold: number;
  readonly halfOpenMaxCalls: number;

  constructor(
    failMax: number,
    resetTimeout: number,
    successThreshold: number,
    halfOpenMaxCalls: number,
  ) {
    this.failMax = failMax;
    this.resetTimeout = resetTimeout;
    this.successThreshold = successThreshold;
    this.halfOpenMaxCalls = halfOpenMaxCalls;
  }

  move(state: CircuitBreakerState, now: number): void {
    this.generation++;
    this.trials = 0;
    this.successCounter = 0;
    this.state = state;
    if (state === "closed") {
      this.failCounter = 0;
      this.openedAt = undefined;
    } else if (state === "open") this.openedAt = now;
  }

  /** Returns the generation and state the call is admitted in, or undefined when rejected. */
  admit(now: number): { generation: number; state: CircuitBreakerState } | undefined {
    if (this.state === "open") {
      if (now < (this.openedAt ?? 0) + this.resetTimeout) return undefined;
      this.move("half-open", now);
    }
    if (this.state === "half-open") {
      if (this.trials >= this.halfOpenMaxCalls) return undefined;
      this.trials++;
    }
    return { generation: this.generation, state: this.state };
  }

  settle(
    call: { generation: number; state: CircuitBreakerState },
    ok: boolean,
    now: number,
  ): boolean {
    if (call.generation !== this.generation) return false;
    if (ok) {
      if (call.state === "closed") this.failCounter = 0;
      else {
        this.trials--;
        if (++this.successCounter >= this.successThreshold) this.move("closed", now);
      }
      return false;
    }
    this.failCounter++;
    if (call.state === "closed" && this.failCounter < this.failMax) return false;
    this.move("open", now);
    return true;
  }
}
