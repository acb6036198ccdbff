// aiobreaker reads its monotonic clock from the `performance` object as it was when it loaded
// (src/monotonic.ts: the global is a lazy accessor, dear to look up on every call). Vitest's fake
// timers swap in another `performance` object, which the library would then never see. So that
// `vi.useFakeTimers()` drives the library's durations and deadlines as it drives everything else,
// the original object's `now` defers to whichever `performance` is installed at the moment.
const original = globalThis.performance;
const originalNow = original.now.bind(original);

Object.defineProperty(original, "now", {
  configurable: true,
  writable: true,
  value: function now(): number {
    const current = globalThis.performance;
    return current === original ? originalNow() : current.now();
  },
});
