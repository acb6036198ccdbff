/** A command that did not answer within the storage's `commandTimeout`. */
export class RedisCommandTimeoutError extends Error {
  constructor(what: string, timeout: number) {
    super(`Redis did not answer ${what} within ${String(timeout)} ms`);
    this.name = "RedisCommandTimeoutError";
  }
}

/**
 * Settles as `promise` does, or rejects with a {@link RedisCommandTimeoutError} after
 * `timeout` ms; `cancel` ends the wait at once (the storage closing), leaving it unsettled.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  timeout: number,
  what: string,
  timers: Set<ReturnType<typeof setTimeout>>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      reject(new RedisCommandTimeoutError(what, timeout));
    }, timeout);
    timers.add(timer);
    promise.then(
      (value) => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        timers.delete(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
