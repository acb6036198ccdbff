/** Whether `value` has a callable `then`: a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    ((typeof value === "object" || typeof value === "function") &&
      value !== null &&
      typeof (value as PromiseLike<unknown>).then === "function")
  );
}

/**
 * A native promise that settles as `value` does when `value` is a thenable, else `undefined`.
 * Never throws: a `then` whose reading or calling throws gives a promise rejected with that
 * error, so a hostile result cannot escape the breaker's bookkeeping. A plain native promise is
 * returned as it is.
 */
export function adoptThenable(value: unknown): Promise<unknown> | undefined {
  if (typeof value !== "object" && typeof value !== "function") return undefined;
  if (value === null) return undefined;
  if (
    value instanceof Promise &&
    Object.getPrototypeOf(value) === Promise.prototype &&
    !Object.hasOwn(value, "then")
  ) {
    return value;
  }
  let then: unknown;
  try {
    then = (value as { then?: unknown }).then;
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a getter may throw anything; the caller gets it as it was
    return Promise.reject(error);
  }
  if (typeof then !== "function") return undefined;
  // The executor runs `then` now and turns a throw into a rejection.
  return new Promise((resolve, reject) => {
    Reflect.apply(then, value, [resolve, reject]);
  });
}
