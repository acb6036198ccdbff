import type { FailureWindow, WindowSnapshot, WindowSpec } from "./outcome-window.js";
import type { Settings } from "./settings.js";
import type { CircuitBreakerStorage, SharedWindow } from "./storage.js";

/**
 * The storage's shared time window for a breaker configured with `spec`, as the breaker's own
 * window, or `undefined` when the storage keeps no windows (or refuses, reported to `onFault`).
 */
export function shareTimeWindow(
  storage: CircuitBreakerStorage,
  spec: WindowSpec,
  settings: Settings,
  onFault: (error: unknown) => void,
): FailureWindow | undefined {
  if (storage.shareWindow === undefined || !("duration" in spec)) return undefined;
  let shared: SharedWindow | undefined;
  try {
    shared = storage.shareWindow({
      duration: spec.duration,
      buckets: spec.buckets ?? 10,
      minimumCalls: settings.minimumCalls,
      failureRateThreshold: settings.failureRateThreshold,
      slowCallRateThreshold: settings.slowCallRateThreshold,
    });
  } catch (error) {
    onFault(error);
    return undefined;
  }
  return shared === undefined ? undefined : new StorageWindow(shared, spec.duration, spec.buckets);
}

/**
 * A time window the storage keeps: records and totals go to it. It has no buckets of its own to
 * export (`toJSON` shows its shape, empty), and the storage empties it when the breaker closes.
 */
class StorageWindow implements FailureWindow {
  readonly kind = "time";
  readonly #shared: SharedWindow;
  readonly #duration: number;
  readonly #buckets: number;

  constructor(shared: SharedWindow, duration: number, buckets: number | undefined) {
    this.#shared = shared;
    this.#duration = duration;
    this.#buckets = buckets ?? 10;
  }

  get calls(): number {
    return this.#shared.calls;
  }

  get failures(): number {
    return this.#shared.failures;
  }

  get slowCalls(): number {
    return this.#shared.slowCalls;
  }

  record(now: number, flags: number): void {
    this.#shared.record(now, flags);
  }

  advance(now: number): void {
    this.#shared.advance(now);
  }

  clear(): void {
    // The storage empties a shared window itself when the breaker closes.
  }

  toJSON(): WindowSnapshot {
    return { kind: "time", duration: this.#duration, buckets: this.#buckets, data: [] };
  }
}
