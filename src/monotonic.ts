/**
 * The monotonic clock (`performance.now()`) behind durations and deadlines. The `performance`
 * object is looked up once, when the module loads: in Node the global is a lazy accessor whose
 * getter costs more than the clock read itself (about 200 instructions a lookup on Node 20, two
 * lookups a measured call). A `performance` object swapped in later (a test's fake timers) is
 * not seen; stubbing `now` on the object itself is.
 */
const performanceClock: { now(): number } = globalThis.performance;

/** Milliseconds on the monotonic clock. */
export function monotonicNow(): number {
  return performanceClock.now();
}
