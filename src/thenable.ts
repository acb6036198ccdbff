/** Whether `value` has a callable `then`: a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    ((typeof value === "object" || typeof value === "function") &&
      value !== null &&
      typeof (value as PromiseLike<unknown>).then === "function")
  );
}

const nativeThen = Promise.prototype.then;

/**
 * Whether `value` is a promise made by `Promise` itself: one that `await` adopts by its own
 * state, never calling a `then` of its own. Reading `constructor` may throw (a getter).
 */
export function isPlainPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise && value.constructor === Promise;
}

/**
 * Whether `value` is a plain promise (see {@link isPlainPromise}) whose `then` is the native one:
 * the shortest path may then call `value.then(...)` directly, which the engine inlines, where
 * {@link observe} goes through `Function.prototype.call`. A promise with a `then` of its own is
 * not untouched, and is observed by {@link observe} instead.
 */
export function isUntouchedPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise && value.then === nativeThen && value.constructor === Promise;
}

/**
 * Reacts to a plain promise by its own state, as `await` does: a `then` set on the promise
 * itself is not called, so it cannot settle the call twice or return something else.
 */
export function observe(
  promise: Promise<unknown>,
  onFulfilled: (value: unknown) => unknown,
  onRejected: (error: unknown) => unknown,
): Promise<unknown> {
  // The promise's own `then`, when it is the native one, is called directly: the engine inlines
  // that call, where `Function.prototype.call` lands in the generic builtin (about 150
  // instructions more a call on Node 20).
  if (isUntouchedThen(promise)) return promise.then(onFulfilled, onRejected);
  return nativeThen.call(promise, onFulfilled, onRejected);
}

/** Whether reading `promise.then` gives the native `then` (a getter that throws: no). */
function isUntouchedThen(promise: Promise<unknown>): boolean {
  try {
    return promise.then === nativeThen;
  } catch {
    return false;
  }
}

/**
 * A plain promise (see {@link isPlainPromise}) that settles as `value` does when `value` is a
 * thenable, else `undefined`; observe it with {@link observe}. Never throws: a `then` whose
 * reading or calling throws gives a promise rejected with that error, and one that calls back
 * twice settles it once, so a hostile result cannot escape the breaker's bookkeeping.
 */
export function adoptThenable(value: unknown): Promise<unknown> | undefined {
  if (typeof value !== "object" && typeof value !== "function") return undefined;
  if (value === null) return undefined;
  let then: unknown;
  try {
    if (isPlainPromise(value)) return value;
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

/**
 * Calls `onRejected` if `promise` rejects, which also marks the rejection handled. Never calls a
 * `then` of the promise's own and never throws: this only watches.
 */
export function watchRejection(
  promise: Promise<unknown>,
  onRejected: (error: unknown) => void,
): void {
  try {
    void nativeThen.call(promise, undefined, onRejected);
  } catch {
    // Only a promise subclass whose constructor throws gets here: it cannot be watched, and the
    // caller still holds it.
  }
}
