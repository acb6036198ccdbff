import { CliError, EXIT } from "./cli-error.js";

/** How long the CLI waits for Redis to connect or to answer one command. */
export const REDIS_TIMEOUT = 3_000;

/**
 * `promise`, or a {@link CliError} once `ms` have passed (`what` says what did not answer in
 * time), or once `signal` aborts (exit code 130). The timer never outlives the race.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CliError(`${what} did not answer within ${String(ms / 1000)} s`));
    }, ms);
    if (signal !== undefined) {
      onAbort = () => {
        reject(new CliError("interrupted", EXIT.INTERRUPTED));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
}
