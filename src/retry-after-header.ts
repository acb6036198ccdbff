/** Reads how long the failed service asked us to wait, in ms, or `undefined`. */
export type RetryAfterExtractor = (error: unknown, now: number) => number | undefined;

// RFC 9110 §10.2.3: Retry-After = HTTP-date / delta-seconds, with optional whitespace around it.
const DELTA_SECONDS = /^\d+$/;
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, "i");
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete) */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, "i");
/** `Sun Nov  6 08:49:37 1994` (obsolete; always GMT) */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, "i");
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/**
 * Parses an HTTP `Retry-After` value: delta-seconds (`"120"` or `120`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`, also the obsolete RFC 850 and asctime forms) taken relative
 * to `now` (epoch ms). Returns ms, never negative (a date in the past gives 0), or `undefined`
 * when the value is neither (negative, NaN, empty, `"12abc"`, other date formats, ...).
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value === "number") {
    // Math.max turns -0 into 0; NaN, negatives and overflow fail the test.
    return value >= 0 && value * 1_000 < Infinity ? Math.max(0, value * 1_000) : undefined;
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) {
    const ms = Number(text) * 1_000;
    return ms < Infinity ? ms : undefined;
  }
  const at = parseHttpDate(text, now);
  if (at === undefined) return undefined;
  const wait = Math.max(0, at - now);
  return Number.isFinite(wait) ? wait : undefined; // only a non-finite `now` fails here
}

/** Epoch ms of an HTTP-date in any of its three forms, or `undefined`. */
function parseHttpDate(text: string, now: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = ASCTIME.exec(text);
  if (match) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  match = RFC_850.exec(text);
  if (!match) return undefined;
  // A two-digit year more than 50 years ahead is the latest past year with those digits.
  const thisYear = new Date(now).getUTCFullYear() || 1970; // NaN for a non-finite now
  let year = thisYear - (thisYear % 100) + Number(match[3]);
  if (year > thisYear + 50) year -= 100;
  return utc(String(year), match[2], match[1], match[4], match[5], match[6]);
}

function utc(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hours: string | undefined,
  minutes: string | undefined,
  seconds: string | undefined,
): number | undefined {
  const y = Number(year);
  const m = MONTHS.indexOf((month ?? "").toLowerCase());
  const d = Number(day);
  const h = Number(hours);
  const min = Number(minutes);
  const s = Number(seconds);
  if (m < 0 || d < 1 || h > 23 || min > 59 || s > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, m, d); // unlike Date.UTC, keeps years 0-99 as written
  if (date.getUTCMonth() !== m) return undefined; // 31 Feb and the like
  date.setUTCHours(h, min, s, 0);
  return date.getTime();
}

/**
 * The default extractor. In order: `error.retryAfter` when a finite number >= 0 (taken as ms);
 * then a `Retry-After` header on `error.headers`, `error.response.headers`, `error.res.headers` or
 * `error.result.headers` (a {@link FailedResultError}'s result: a 429 or 503 `Response` that
 * `isFailureResult` judged a failure),
 * each either `Headers`-like (with `get`) or a plain object with a `retry-after` / `Retry-After`
 * key, parsed with {@link parseRetryAfter}. The first usable value wins. Never throws: a getter
 * that throws just makes that place say nothing.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ retryAfterFrom: retryAfterFromError });
 * ```
 */
export const retryAfterFromError: RetryAfterExtractor = (error, now) => {
  if (!isObject(error)) return undefined;
  try {
    const direct = error["retryAfter"];
    if (typeof direct === "number" && direct >= 0 && direct < Infinity) return direct;
  } catch {
    // A throwing getter tells us nothing; try the headers.
  }
  for (const holder of [error, "response", "res", "result"] as const) {
    try {
      const owner = typeof holder === "string" ? error[holder] : holder;
      if (!isObject(owner)) continue;
      const wait = parseRetryAfter(headerValue(owner["headers"]), now);
      if (wait !== undefined) return wait;
    } catch {
      // As above: this place says nothing.
    }
  }
  return undefined;
};

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function headerValue(headers: unknown): unknown {
  if (!isObject(headers)) return undefined;
  const get = headers["get"];
  if (typeof get === "function") return get.call(headers, "retry-after") as unknown;
  return headers["retry-after"] ?? headers["Retry-After"];
}
