import type { CircuitBreakerState } from "./state.js";

/** What a storage holds, as plain data: for `restore` and for a breaker's `toJSON`. */
export interface StoredCircuitState {
  readonly state: CircuitBreakerState;
  readonly failCounter: number;
  readonly successCounter: number;
  readonly openedAt: number | undefined;
  readonly openDuration: number | undefined;
  readonly openAttempts: number;
}

/**
 * Where a breaker keeps its state: the state itself, the counters, the time it opened, and a
 * generation number that changes on every state change.
 *
 * The contract is synchronous so that the in-memory path never awaits. A storage shared by many
 * processes (Redis, say) fits it by answering from a local mirror and reconciling in the
 * background: it applies its writes with atomic scripts, and folds in changes that other
 * processes publish by bumping `generation`, which every breaker over it checks before each call.
 *
 * Rules every storage follows (the contract suite in the tests checks them):
 * - `setState` always starts a new generation and clears the running trial count and
 *   `successCounter`; moving to `"closed"` also clears `failCounter` and `openedAt`; moving to
 *   `"open"` records the given `openedAt` and `openDuration` and adds one to `openAttempts`; moving
 *   to `"closed"` clears `openDuration` and `openAttempts` too; moving to `"half-open"` keeps
 *   `failCounter`, `openedAt`, `openDuration` and `openAttempts`.
 * - `acquireTrial` admits at most `limit` trial calls per generation; a trial released in a
 *   later generation (a late result) frees nothing.
 * - Several breakers may share one storage: they then share one state.
 * - `subscribe`, when implemented, announces every `setState`, `restore` and effective
 *   `releaseTrial`.
 */
export interface CircuitBreakerStorage {
  /** The current state. */
  readonly state: CircuitBreakerState;
  /** Consecutive failures. */
  readonly failCounter: number;
  /** Consecutive successes while half-open; 0 in any other state. */
  readonly successCounter: number;
  /** When the breaker last opened, epoch ms; `undefined` when closed or never opened. */
  readonly openedAt: number | undefined;
  /**
   * How long this opening lasts, ms, when it was fixed at the time of opening (backoff, a
   * Retry-After); `undefined` when the breaker's `resetTimeout` number applies.
   */
  readonly openDuration: number | undefined;
  /** Openings since the breaker was last closed: the backoff attempt. */
  readonly openAttempts: number;
  /** Changes on every state change; calls admitted under an older generation are late. */
  readonly generation: number;
  /** Trial calls admitted in the current generation and not yet released. */
  readonly trialCalls: number;
  /** Adds one failure and returns the new consecutive count. */
  incrementFailCounter(): number;
  /** Sets the consecutive failure count to 0. */
  resetFailCounter(): void;
  /** Adds one half-open success and returns the new consecutive count. */
  incrementSuccessCounter(): number;
  /** Moves to `state` (see the rules above); `openedAt` and `openDuration` apply to `"open"`. */
  setState(state: CircuitBreakerState, openedAt: number | undefined, openDuration?: number): void;
  /** Replaces everything with `stored` (a restore) and starts a new generation. */
  restore(stored: StoredCircuitState): void;
  /** Takes a trial slot in `generation` if fewer than `limit` are taken; returns whether it did. */
  acquireTrial(generation: number, limit: number): boolean;
  /** Gives back a trial slot taken in `generation`; does nothing for an older generation. */
  releaseTrial(generation: number): void;
  /**
   * Optional: calls `listener` after each change that a waiting caller may be let in by (a new
   * generation, a trial slot given back), whoever made it, and returns a function that ends the
   * subscription. A breaker subscribes only while callers wait on it (the half-open queue,
   * `waitUntilRetry` of a rejection without `retryAt`), so that changes made by other breakers
   * over the same storage wake them; without it, they wake at this breaker's own changes and
   * see the others' at its next call. The listener may be called synchronously, from inside the
   * write: the breaker acts on it in a microtask.
   */
  subscribe?(listener: () => void): () => void;
}
