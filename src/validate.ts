import { describeValue } from "./describe.js";

/** Throws a `RangeError` or `TypeError` naming `option` unless `value` is an integer >= `min`. */
export function assertInteger(
  option: string,
  value: unknown,
  min: number,
): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${option} must be an integer >= ${String(min)}, got ${describeValue(value)} (${typeof value})`,
    );
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${option} must be an integer >= ${String(min)}, got ${describeValue(value)}`,
    );
  }
}

/** Throws unless `value` is a finite number >= 0 (a duration in milliseconds). */
export function assertDuration(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${option} must be a finite number of milliseconds >= 0, got ${describeValue(value)} (${typeof value})`,
    );
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${option} must be a finite number of milliseconds >= 0, got ${describeValue(value)}`,
    );
  }
}

/** Throws unless `value` is a function. */
export function assertFunction(
  option: string,
  value: unknown,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new TypeError(`${option} must be a function, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is a boolean. */
export function assertBoolean(option: string, value: unknown): asserts value is boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${option} must be a boolean, got ${describeValue(value)}`);
  }
}

/**
 * Throws unless `value` is a function that can answer synchronously: an `async` function answers
 * with a promise, which is truthy, so as a predicate it would say yes to everything.
 */
export function assertPredicate(
  option: string,
  value: unknown,
): asserts value is (...args: never[]) => unknown {
  assertFunction(option, value);
  const tag = Object.prototype.toString.call(value);
  if (tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]") {
    throw new TypeError(
      `${option} must answer synchronously, got the async function ${describeValue(value)}`,
    );
  }
}

/**
 * Throws a `RangeError` or `TypeError` naming `option` unless `value` is an integer from `min`
 * to `max` (both included).
 */
export function assertIntegerBetween(
  option: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  const expected = `${option} must be an integer from ${String(min)} to ${String(max)}`;
  if (typeof value !== "number") {
    throw new TypeError(`${expected}, got ${describeValue(value)} (${typeof value})`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${expected}, got ${describeValue(value)}`);
  }
}
