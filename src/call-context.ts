/**
 * What `execute` hands the function: the call's signal, which aborts on the caller's signal or
 * on the breaker's `callTimeout`, whichever comes first. Pass it on to what the function waits
 * for (`fetch`, a driver's query), so that an ended call stops its work.
 *
 * @example
 * ```ts
 * const response = await breaker.execute(({ signal }) => fetch(url, { signal }), {
 *   signal: request.signal,
 * });
 * ```
 */
export interface ExecuteContext {
  /** Aborts on the caller's signal or at the call's `callTimeout`, whichever comes first. */
  readonly signal: AbortSignal;
}

/** The call that owns the signal; it is made only if the function asks for it. */
interface SignalSource {
  functionSignal(): AbortSignal;
}

/** An {@link ExecuteContext} whose signal is made on first read. */
export class CallContext implements ExecuteContext {
  readonly #call: SignalSource;

  constructor(call: SignalSource) {
    this.#call = call;
  }

  get signal(): AbortSignal {
    return this.#call.functionSignal();
  }
}

/**
 * Whether a caller's abort reason says its deadline passed: a `TimeoutError`, as
 * `AbortSignal.timeout()` gives (a `DOMException`), or any error of that name.
 */
export function isTimeoutReason(reason: unknown): boolean {
  try {
    return (
      typeof reason === "object" &&
      reason !== null &&
      (reason as { name?: unknown }).name === "TimeoutError"
    );
  } catch {
    // A reason whose `name` getter throws says nothing: an abort like any other.
    return false;
  }
}
