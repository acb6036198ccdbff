/** Reads how long a failure asks the breaker to stay open, ms, or `undefined` for no opinion. */
export type RetryAfterExtractor = (error: unknown, now: number) => number | undefined;

const SECONDS = /^\s*\d+\s*$/;
// IMF-fixdate, the obsolete RFC 850 form and asctime, as HTTP allows.
const HTTP_DATE =
  /^\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})\s*$/;

/**
 * Parses an HTTP `Retry-After` value, delta-seconds (`"120"`, `120`) or an HTTP-date, into ms
 * from `now`: never negative (a past date is 0), `undefined` when it is neither.
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1_000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (SECONDS.test(value)) return Number(value) * 1_000;
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The usual places a failure says when to come back: `error.retryAfter` (ms), then a
 * `Retry-After` header on `error.headers`, `error.response.headers` or `error.res.headers`
 * (a `Headers`-like object with `get`, or a plain object). Never throws.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ retryAfterFrom: retryAfterFromError, maxRetryAfter: 120_000 });
 * ```
 */
export const retryAfterFromError: RetryAfterExtractor = (error, now) => {
  try {
    if (typeof error !== "object" || error === null) return undefined;
    const given = error as Record<string, unknown>;
    const direct = given["retryAfter"];
    if (typeof direct === "number" && Number.isFinite(direct) && direct >= 0) return direct;
    const holders = [given, field(given, "response"), field(given, "res")];
    for (const holder of holders) {
      const value = header(field(holder, "headers"));
      if (value !== undefined) return parseRetryAfter(value, now);
    }
    return undefined;
  } catch {
    // A getter that throws tells us nothing about when to retry.
    return undefined;
  }
};

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function header(headers: unknown): unknown {
  if (typeof headers !== "object" || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === "function") {
    const value: unknown = get.call(headers, "retry-after");
    return value ?? undefined;
  }
  const record = headers as Record<string, unknown>;
  return record["retry-after"] ?? record["Retry-After"];
}
