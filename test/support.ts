// Small helpers shared by the test files: an injected clock and ways to let pending jobs run.

/** A clock the test moves by hand: set `time.now`, pass `clock` to the breaker. */
export function manualClock(start = 1_000_000): {
  time: { now: number };
  clock: { now: () => number };
} {
  const time = { now: start };
  return { time, clock: { now: () => time.now } };
}

/** Lets every queued microtask and promise job run. */
export async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** "resolved", "rejected" or "pending" once every job that could settle `promise` has run. */
export async function status(promise: Promise<unknown>): Promise<string> {
  const seen = promise.then(
    () => "resolved",
    () => "rejected",
  );
  return Promise.race([seen, drain().then(() => "pending")]);
}

/** A promise with its settle functions, for work the test finishes by hand. */
export function deferred(): {
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
