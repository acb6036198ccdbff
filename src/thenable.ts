/** Whether `value` has a callable `then`: a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    ((typeof value === "object" || typeof value === "function") &&
      value !== null &&
      typeof (value as PromiseLike<unknown>).then === "function")
  );
}
