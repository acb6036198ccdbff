import type { CircuitBreakerMode } from "./mode.js";
import type { CircuitBreakerState } from "./state.js";

/** What a storage holds, as plain data: for `restore` and for a breaker's `toJSON`. */
export interface StoredCircuitState {
  /** The state. */
  readonly state: CircuitBreakerState;
  /** Default `"enabled"`. */
  readonly mode?: CircuitBreakerMode | undefined;
  /** Consecutive failures. */
  readonly failCounter: number;
  /** Consecutive successes while half-open; 0 in any other state. */
  readonly successCounter: number;
  /** When the breaker last opened, epoch ms; `undefined` when closed or never opened. */
  readonly openedAt: number | undefined;
  /** How long this opening lasts, ms, when fixed at opening; `undefined` when `resetTimeout` applies. */
  readonly openDuration: number | undefined;
  /** Openings since the breaker was last closed: the backoff attempt. */
  readonly openAttempts: number;
}

/**
 * Why a state change is asked for. A store shared by many processes settles races by it: an
 * automatic change applies only if the store is still in the generation it was decided in
 * (compare-and-set), so that N processes tripping at once make one opening; a `"manual"` change
 * (an operator's `open()`, `close()`, `halfOpen()`, `reset()`, `forceOpen()`) applies whatever the
 * generation, so the last operator wins.
 *
 * - `"trip"`: closed to open, the failures crossed a threshold;
 * - `"reopen"`: half-open to open, a trial failed;
 * - `"retry"`: open to half-open, the open time is over and a call came;
 * - `"recover"`: half-open to closed, enough trials succeeded;
 * - `"manual"`: any change an operator asks for.
 */
export type StateChangeCause = "trip" | "reopen" | "retry" | "recover" | "manual";

/** A state change and what it was decided on. */
export interface StateChange {
  /** Why the change is asked for: it decides whether the change is compare-and-set. */
  readonly cause: StateChangeCause;
  /** The storage generation the breaker saw when it decided the change. */
  readonly generation: number;
}

/** A failure to record, with what the store needs to trip by itself. */
export interface FailureRecord {
  /** The generation the failed call was admitted in; the breaker never records a late failure. */
  readonly generation: number;
  /**
   * Trip when the consecutive count reaches this (closed, enabled); `undefined` when the count
   * never trips: a window decides alone, the breaker is disabled, or the failure is a half-open
   * trial's, which the breaker re-opens itself (`setState` with cause `"reopen"`).
   */
  readonly failMax: number | undefined;
  /** The breaker's `clock.now()`: the opening's time if this trips. */
  readonly now: number;
  /**
   * The length of the opening this failure makes if it trips (ms), or `undefined` when the
   * breaker's `resetTimeout` number applies. It runs user functions (backoff, Retry-After): a
   * store calls it at most once, and only for a failure that may trip.
   */
  openDuration(): number | undefined;
}

/** What recording a failure did. */
export interface FailureOutcome {
  /** The consecutive failure count after it, as far as the store knows now. */
  readonly failCounter: number;
  /** Whether it tripped the breaker: the store moved to `"open"` itself (cause `"trip"`). */
  readonly tripped: boolean;
}

/** What recording a half-open trial's success did. */
export interface TrialOutcome {
  /** Consecutive half-open successes after it, as far as the store knows now. */
  readonly successCounter: number;
  /** Whether it closed the breaker: the store moved to `"closed"` itself (cause `"recover"`). */
  readonly closed: boolean;
}

/** The rule of a breaker's time window, for a store that keeps the window itself. */
export interface SharedWindowRule {
  /** Milliseconds the window spans. */
  readonly duration: number;
  /** Buckets aligned to the epoch: bucket k spans `[k * w, (k + 1) * w)`, `w = duration / buckets`. */
  readonly buckets: number;
  /** Calls the window must hold before any rate verdict. */
  readonly minimumCalls: number;
  /** Percent of failures that trips (at `>=`), or `undefined`. */
  readonly failureRateThreshold: number | undefined;
  /** Percent of slow calls that trips (at `>=`), or `undefined`. */
  readonly slowCallRateThreshold: number | undefined;
}

/** A time window kept by the store (a fleet's): the breaker records into it and reads its totals. */
export interface SharedWindow {
  /** Calls in the window, as far as the store knows now. */
  readonly calls: number;
  /** Failed calls in the window. */
  readonly failures: number;
  /** Slow calls in the window. */
  readonly slowCalls: number;
  /** Records one outcome at `now`: flags 0 success, 1 failed, 2 slow, 3 both. */
  record(now: number, flags: number): void;
  /** Brings the totals to the window ending at `now`. */
  advance(now: number): void;
}

/**
 * Where a breaker keeps its state: the state and mode, the counters, the time it opened, and a
 * generation number that changes on every change of state or mode.
 *
 * The contract is synchronous so that the call path never awaits. A storage shared by many
 * processes (`aiobreaker/redis`) fits it by answering from a local mirror: it applies each write
 * to the mirror at once, makes the shared decision atomically in the shared store in the
 * background, and folds in the store's answers and other processes' changes, bumping
 * `generation` when they change what a breaker must see.
 *
 * Rules every storage follows (the contract suite in the tests checks them):
 * - An applied `setState` starts a new generation and clears the trial slots and
 *   `successCounter`; moving to `"closed"` also clears `failCounter`, `openedAt`, `openDuration`,
 *   `openAttempts` (and a shared window); moving to `"open"` records `openedAt` and `openDuration`
 *   and adds one to `openAttempts`; moving to `"half-open"` keeps the others.
 * - An automatic change (any cause but `"manual"`) applies only in the generation it was decided
 *   in; a manual one always applies. `setMode` and `restore` always apply and start a new
 *   generation.
 * - `acquireTrial` admits at most `limit` trial calls per generation; a trial released in a
 *   later generation (a late result) frees nothing.
 * - Several breakers may share one storage: they then share one state and one mode.
 * - `subscribe`, when implemented, announces every new generation, every trial slot given back
 *   and every pending trial answered.
 *
 * No method may block, await or wait for a remote store. A breaker guards every call into its
 * storage: a method that throws reaches `onListenerError(error, "storage")`, never a caller.
 */
export interface CircuitBreakerStorage {
  /** The current state. */
  readonly state: CircuitBreakerState;
  /** `"enabled"`, `"disabled"` or `"forced-open"` (see {@link CircuitBreakerMode}). */
  readonly mode: CircuitBreakerMode;
  /** Consecutive failures. */
  readonly failCounter: number;
  /** Consecutive successes while half-open; 0 in any other state. */
  readonly successCounter: number;
  /**
   * When the breaker last opened, epoch ms on the local clock's scale (a shared store converts
   * its server's time); `undefined` when closed or never opened.
   */
  readonly openedAt: number | undefined;
  /**
   * How long this opening lasts, ms, when it was fixed at the time of opening (backoff, a
   * Retry-After); `undefined` when the breaker's `resetTimeout` number applies.
   */
  readonly openDuration: number | undefined;
  /** Openings since the breaker was last closed: the backoff attempt. */
  readonly openAttempts: number;
  /** Changes on every change of state or mode; calls admitted under an older one are late. */
  readonly generation: number;
  /** Trial calls holding a slot in the current generation (a shared store: the fleet's). */
  readonly trialCalls: number;
  /**
   * Adds one consecutive failure, and trips by itself (cause `"trip"`, exactly once however many
   * breakers or processes fail at once) when `failure.failMax` is reached in the closed state of
   * `failure.generation`. A store with a shared window also trips on the window's rates.
   */
  recordFailure(failure: FailureRecord): FailureOutcome;
  /** A closed-state success after failures: the consecutive count goes back to 0. */
  resetFailCounter(): void;
  /**
   * A half-open trial admitted in `generation` succeeded: gives back its trial slot, adds one
   * success, and closes by itself (cause `"recover"`) when the count reaches `successThreshold`.
   * A late trial changes nothing.
   */
  recordTrialSuccess(generation: number, successThreshold: number): TrialOutcome;
  /**
   * Moves to `state` (see the rules above); `openedAt` and `openDuration` apply to `"open"`.
   * Returns whether it applied: an automatic change from a generation that is no longer current
   * changes nothing.
   */
  setState(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    change: StateChange,
  ): boolean;
  /** Sets the mode (an operator's action: always applies) and starts a new generation. */
  setMode(mode: CircuitBreakerMode): void;
  /** Replaces everything with `stored` (a restore) and starts a new generation. */
  restore(stored: StoredCircuitState): void;
  /**
   * Takes a trial slot in `generation` if fewer than `limit` are taken: `true` (taken), `false`
   * (none free, or `generation` is not current), or `"pending"`: a shared store that cannot answer
   * from its mirror has asked the shared store, and announces the answer through `subscribe`
   * (a store that answers `"pending"` implements `subscribe`); the breaker then asks again. `lease`
   * is how long a slot may be held before a shared store takes it back (the breaker's
   * `halfOpenTimeout`, or `undefined` for the store's own default), so that a process that dies
   * holding one does not strand the breaker.
   */
  acquireTrial(generation: number, limit: number, lease: number | undefined): boolean | "pending";
  /** Gives back, with no verdict, a trial slot taken in `generation`; an older one frees nothing. */
  releaseTrial(generation: number): void;
  /**
   * Optional: calls `listener` after each change a breaker may act on (see the rules), whoever
   * made it, and returns a function that ends the subscription. The listener may be called
   * synchronously, from inside a write: the breaker acts on it in a microtask.
   */
  subscribe?(listener: () => void): () => void;
  /**
   * Optional: a store that keeps time windows itself (a fleet's) returns the window for `rule`;
   * the breaker then records into it and judges rates on its totals, instead of its own window.
   * Asked whenever the breaker's time window is set; `undefined` keeps the breaker's own.
   */
  shareWindow?(rule: SharedWindowRule): SharedWindow | undefined;
  /**
   * Optional: ends everything the storage started (timers, subscriptions, connections it made).
   * A {@link CircuitBreakerGroup} calls it when it evicts a breaker whose storage its factory
   * built. Resolves, never rejects.
   */
  close?(): Promise<void>;
}
