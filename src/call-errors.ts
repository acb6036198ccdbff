/**
 * A call ran past the breaker's `callTimeout`. The call's signal was aborted with this error,
 * and the outcome counts as a failure.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ name: "search", callTimeout: 250 });
 * try {
 *   await breaker.execute(({ signal }) => search(query, { signal }));
 * } catch (error) {
 *   if (error instanceof CallTimeoutError) console.warn(`gave up after ${error.timeout} ms`);
 * }
 * ```
 */
export class CallTimeoutError extends Error {
  /** Always `"CallTimeoutError"` (set on the prototype). */
  declare readonly name: "CallTimeoutError";
  /** The name of the breaker whose timeout expired. */
  readonly breaker: string | undefined;
  /** The timeout that expired, in ms. */
  readonly timeout: number;

  static {
    Object.defineProperty(this.prototype, "name", {
      value: "CallTimeoutError",
      writable: true,
      configurable: true,
    });
  }

  constructor(breaker: string | undefined, timeout: number) {
    super(`Call through circuit breaker${label(breaker)} timed out after ${String(timeout)} ms`);
    this.breaker = breaker;
    this.timeout = timeout;
  }
}

/**
 * A call was refused because `maxConcurrentCalls` calls were already running. It never ran, and
 * the refusal is not a failure.
 */
export class ConcurrencyLimitError extends Error {
  /** Always `"ConcurrencyLimitError"` (set on the prototype). */
  declare readonly name: "ConcurrencyLimitError";
  /** The name of the breaker that refused the call. */
  readonly breaker: string | undefined;
  /** The limit that was reached. */
  readonly limit: number;

  static {
    Object.defineProperty(this.prototype, "name", {
      value: "ConcurrencyLimitError",
      writable: true,
      configurable: true,
    });
  }

  constructor(breaker: string | undefined, limit: number) {
    super(
      `Circuit breaker${label(breaker)} refused a call: ${String(limit)} calls are already running (maxConcurrentCalls)`,
    );
    this.breaker = breaker;
    this.limit = limit;
  }
}

/**
 * What a result that `isFailureResult` judged a failure is recorded as: the `error` the
 * `failure` hook, `retryAfterFrom` and a trip's `cause` see. The caller still gets the result
 * itself, never this error.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({
 *   isFailureResult: (response) => response instanceof Response && response.status >= 500,
 *   listeners: [{ failure: (_, error) => console.warn((error as FailedResultError).result) }],
 * });
 * ```
 */
export class FailedResultError extends Error {
  /** Always `"FailedResultError"` (set on the prototype). */
  declare readonly name: "FailedResultError";
  /** The name of the breaker that judged the result. */
  readonly breaker: string | undefined;
  /** The value the guarded function returned. */
  readonly result: unknown;

  static {
    Object.defineProperty(this.prototype, "name", {
      value: "FailedResultError",
      writable: true,
      configurable: true,
    });
  }

  constructor(breaker: string | undefined, result: unknown) {
    super(`Circuit breaker${label(breaker)} counted a result as a failure (isFailureResult)`);
    this.breaker = breaker;
    this.result = result;
  }
}

function label(name: string | undefined): string {
  return name === undefined ? "" : ` ${JSON.stringify(name)}`;
}
