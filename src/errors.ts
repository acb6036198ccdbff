import type { Clock } from "./clock.js";
import type { CircuitBreakerState } from "./state.js";
import { waitUntil } from "./wait.js";

/** What a {@link CircuitBreakerError} carries besides its message. */
export interface CircuitBreakerErrorDetails {
  /** The breaker's name, if it has one. */
  readonly breaker?: string | undefined;
  /** The breaker's state when the error was raised. */
  readonly state: CircuitBreakerState;
  /** Epoch ms at which the breaker admits its next trial call; `undefined` unless open. */
  readonly retryAt?: number | undefined;
  /** The failure that tripped the breaker, when this error reports a trip. */
  readonly cause?: unknown;
  /** The time source for `retryAfter` and `waitUntilRetry`; default `Date.now()`. */
  readonly clock?: Clock | undefined;
}

/** What a rejection with no `retryAt` waits for: the next change of the breaker that raised it. */
export interface ChangeSource {
  /** Counts the changes so far; a rejection records it when raised. */
  readonly changeCount: number;
  /** Resolves at the next change, or at once if one came after `since`. */
  nextChange(signal: AbortSignal | undefined, since: number): Promise<void>;
}

const wallClock: Clock = { now: () => Date.now() };
let originOf: (error: CircuitBreakerError) => object | undefined;
let setOrigin: (error: CircuitBreakerError, origin: object, changes?: ChangeSource) => void;

/**
 * Raised instead of running the function while a breaker is open (or half-open with every trial
 * slot taken), and by the call that trips it, with the failure that tripped it as `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await breaker.call(fetchUser, id);
 * } catch (error) {
 *   if (error instanceof CircuitBreakerError) return cachedUser(id, error.retryAfter);
 *   throw error;
 * }
 * ```
 */
export class CircuitBreakerError extends Error {
  /** Always `"CircuitBreakerError"` (set on the prototype). */
  declare readonly name: "CircuitBreakerError";
  /** The name of the breaker that raised it. */
  readonly breaker: string | undefined;
  /** The breaker's state when it was raised. */
  readonly state: CircuitBreakerState;
  /** Epoch ms of the next trial call; `undefined` unless the breaker was open. */
  readonly retryAt: number | undefined;
  /** Milliseconds from the moment of the error until `retryAt`, never negative. */
  readonly retryAfter: number | undefined;
  readonly #clock: Clock;
  #origin: object | undefined;
  #changes: ChangeSource | undefined;
  #changesSeen = 0;

  static {
    // On the prototype, so the stack header says CircuitBreakerError and no instance pays for it.
    Object.defineProperty(this.prototype, "name", {
      value: "CircuitBreakerError",
      writable: true,
      configurable: true,
    });
    originOf = (error) => error.#origin;
    setOrigin = (error, origin, changes) => {
      error.#origin = origin;
      if (changes !== undefined) {
        error.#changes = changes;
        error.#changesSeen = changes.changeCount;
      }
    };
  }

  constructor(message: string, details: CircuitBreakerErrorDetails) {
    super(message, "cause" in details ? { cause: details.cause } : undefined);
    this.breaker = details.breaker;
    this.state = details.state;
    this.retryAt = details.retryAt;
    this.#clock = details.clock ?? wallClock;
    this.retryAfter =
      details.retryAt === undefined ? undefined : Math.max(0, details.retryAt - this.#clock.now());
  }

  /**
   * Resolves once a retry may be admitted: at `retryAt` when the breaker was open; when it had
   * no time to give (half-open with every trial slot taken, forced open), at the breaker's next
   * change (a state change, a freed trial slot, a change of mode) after the error was raised:
   * at once if one has come already, never at once otherwise, so a retry loop lets the trial's
   * own work run. An aborted signal rejects.
   */
  waitUntilRetry(signal?: AbortSignal): Promise<void> {
    const retryAt = this.retryAt;
    const changes = this.#changes;
    if (retryAt === undefined && changes !== undefined) {
      return changes.nextChange(signal, this.#changesSeen);
    }
    return waitUntil(this.#clock, () => retryAt, signal);
  }
}

/** Builds an error that records which breaker raised it, so that breaker never counts it. */
export function createCircuitBreakerError(
  origin: object,
  message: string,
  details: CircuitBreakerErrorDetails,
  changes?: ChangeSource,
): CircuitBreakerError {
  const error = new CircuitBreakerError(message, details);
  setOrigin(error, origin, changes);
  return error;
}

/**
 * A rejection of a call: expected control flow, raised by the breaker itself, so it carries no
 * stack trace, whose capture would cost more than the rest of the rejection.
 */
export function createRejection(
  origin: object,
  message: string,
  details: CircuitBreakerErrorDetails,
  changes?: ChangeSource,
): CircuitBreakerError {
  const errorClass = Error as { stackTraceLimit?: number | undefined };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = 0;
  try {
    return createCircuitBreakerError(origin, message, details, changes);
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

/** Whether `error` is a {@link CircuitBreakerError} raised by `origin`. */
export function isRaisedBy(error: unknown, origin: object): boolean {
  return error instanceof CircuitBreakerError && originOf(error) === origin;
}
