import { describeValue } from "./describe.js";
import { isAbortSignal } from "./wait.js";

/**
 * The caller's signal, checked: an `AbortSignal` (any realm's), `undefined` for none, or the
 * `TypeError` that names what was given instead (`null` included: no option means "none" by
 * being `null`). Never throws, whatever the value.
 */
export function callerSignal(value: unknown, what: string): AbortSignal | undefined | TypeError {
  if (value === undefined) return undefined;
  try {
    if (isAbortSignal(value)) return value;
  } catch {
    // A value whose properties cannot be read is not a signal either.
  }
  return new TypeError(`${what} must be an AbortSignal or undefined, got ${describeValue(value)}`);
}
