/**
 * Counts of a breaker's calls since it was created, as plain numbers (`breaker.stats`). Every call
 * lands in exactly one of `successes`, `failures`, `timeouts`, `rejections`, `neutral`, `excluded`
 * and `concurrencyLimited`, and `calls` is their sum; `fallbacks` and `stateChanges` are counted
 * beside them.
 *
 * @example
 * ```ts
 * const { calls, failures, rejections } = breaker.stats;
 * console.log(`${failures + rejections} of ${calls} calls did not succeed`);
 * ```
 */
export interface CircuitBreakerStats {
  /** Calls made through the breaker: the sum of the outcomes below. */
  readonly calls: number;
  /** Calls that succeeded. */
  readonly successes: number;
  /** Calls that failed: a counted error, or a result `isFailureResult` judged a failure. */
  readonly failures: number;
  /** Calls that ran past `callTimeout` or past their caller's deadline (not also failures). */
  readonly timeouts: number;
  /** Calls refused without running (open, forced open, no trial slot, trial queue full). */
  readonly rejections: number;
  /** Calls that ended with neither outcome (an abort, a stopped generator, a released trial). */
  readonly neutral: number;
  /** Calls that threw an excluded error (a success for the breaker's state). */
  readonly excluded: number;
  /** Times a fallback ran. */
  readonly fallbacks: number;
  /** Calls refused by `maxConcurrentCalls`. */
  readonly concurrencyLimited: number;
  /** Changes of the state the breaker reports. */
  readonly stateChanges: number;
  /** When counting began (the breaker's creation), epoch ms on its clock. */
  readonly since: number;
}

/** The running counts behind {@link CircuitBreakerStats}: plain increments on paths that run anyway. */
export class CallCounters {
  successes = 0;
  failures = 0;
  timeouts = 0;
  rejections = 0;
  neutral = 0;
  excluded = 0;
  fallbacks = 0;
  concurrencyLimited = 0;
  stateChanges = 0;
  readonly since: number;

  constructor(since: number) {
    this.since = since;
  }

  snapshot(): CircuitBreakerStats {
    const calls =
      this.successes +
      this.failures +
      this.timeouts +
      this.rejections +
      this.neutral +
      this.excluded +
      this.concurrencyLimited;
    return {
      calls,
      successes: this.successes,
      failures: this.failures,
      timeouts: this.timeouts,
      rejections: this.rejections,
      neutral: this.neutral,
      excluded: this.excluded,
      fallbacks: this.fallbacks,
      concurrencyLimited: this.concurrencyLimited,
      stateChanges: this.stateChanges,
      since: this.since,
    };
  }
}
