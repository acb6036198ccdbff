import { describeValue } from "./describe.js";

/** `resetTimeout` as a function: `attempt` counts openings since last closed (1 first); ms to stay open. */
export type ResetTimeoutFunction = (attempt: number, error: unknown) => number;

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Open time of the first opening, ms; >= 0. Default 1 000. */
  initial?: number | undefined;
  /** The cap, ms; >= `initial`. Default 60 000. */
  max?: number | undefined;
  /** Growth per re-opening; >= 1. Default 2. */
  multiplier?: number | undefined;
  /**
   * Spread, so a fleet does not retry in step: `"full"` (anywhere in [0, d]), `"equal"` (d/2 plus
   * up to d/2, the default), `"none"`, or a fraction j in [0, 1] (d·(1−j) plus up to d·j).
   */
  jitter?: "none" | "full" | "equal" | number | undefined;
  /**
   * A source in [0, 1); default `Math.random`. Inject one for repeatable tests. Each value it
   * returns is checked when used (not with `jitter: "none"`, which never asks): any other value
   * makes the backoff function throw a `RangeError` naming it rather than exceed `max` (a
   * breaker reports that to `onListenerError` as `"resetTimeout"`).
   */
  random?: (() => number) | undefined;
}

const names = new Set(["initial", "max", "multiplier", "jitter", "random"]);

/**
 * A ready `resetTimeout` for backoff: each re-opening without a close in between stays open
 * `multiplier` times longer, up to `max`, with jitter.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({
 *   resetTimeout: exponentialBackoff({ initial: 1_000, max: 60_000 }),
 * });
 * ```
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): ResetTimeoutFunction {
  if (!isPlainObject(options)) {
    throw new TypeError(
      `exponentialBackoff: options must be a plain object, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!names.has(key)) {
      throw new TypeError(
        `exponentialBackoff: unknown option ${JSON.stringify(key)}; it takes ${[...names].join(", ")}`,
      );
    }
    if ((options as Record<string, unknown>)[key] === null) {
      throw new TypeError(
        `exponentialBackoff: ${key} must not be null; leave it out or pass undefined for the default`,
      );
    }
  }
  const {
    initial = 1_000,
    max = 60_000,
    multiplier = 2,
    jitter = "equal",
    random = Math.random,
  } = options;
  finite("initial", initial, 0);
  finite("max", max, 0);
  if (max < initial) {
    throw new RangeError(
      `exponentialBackoff: max must be >= initial (${String(initial)}), got ${describeValue(max)}`,
    );
  }
  finite("multiplier", multiplier, 1);
  let spread: number;
  if (jitter === "none") spread = 0;
  else if (jitter === "full") spread = 1;
  else if (jitter === "equal") spread = 0.5;
  else if (typeof jitter === "number" && jitter >= 0 && jitter <= 1) spread = jitter;
  else {
    throw new TypeError(
      `exponentialBackoff: jitter must be "none", "full", "equal" or a number in [0, 1], got ${describeValue(jitter)}`,
    );
  }
  if (typeof random !== "function") {
    throw new TypeError(
      `exponentialBackoff: random must be a function, got ${describeValue(random)}`,
    );
  }
  // Past this attempt the cap always applies: stop multiplying before it overflows.
  const capAt =
    initial === 0 || multiplier === 1
      ? Infinity
      : Math.log(max / initial) / Math.log(multiplier) + 1;
  return (attempt) => {
    const step = Math.max(1, attempt);
    let delay = max;
    if (initial === 0) delay = 0;
    else if (step < capAt) delay = Math.min(max, initial * multiplier ** (step - 1));
    if (spread === 0) return Math.round(delay);
    const r = random();
    // Checked per value, not once: a source out of [0, 1) would push the delay past `max`.
    if (typeof r !== "number" || !(r >= 0 && r < 1)) {
      throw new RangeError(
        `exponentialBackoff: random() must return a number in [0, 1), got ${describeValue(r)}`,
      );
    }
    return Math.round(delay * (1 - spread) + r * delay * spread);
  };
}

/** An object literal (or `Object.create(null)`): not an array, a class instance or a function. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function finite(option: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(
      `exponentialBackoff: ${option} must be a finite number >= ${String(min)}, got ${describeValue(value)}`,
    );
  }
}
