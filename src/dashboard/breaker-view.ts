import type {
  CircuitBreakerMetrics,
  CircuitBreakerMonitor,
  CircuitBreakerSnapshot,
  CircuitBreakerStats,
  WindowSnapshot,
} from "../index.js";

/** A window's shape without its contents (a count window's contents can be long). */
export type DashboardWindow =
  | { readonly kind: "count"; readonly size: number }
  | { readonly kind: "time"; readonly duration: number; readonly buckets: number };

/**
 * One breaker as the dashboard serves it (`GET /snapshot`, every `data:` line of `GET /events`,
 * a control's answer): its `toJSON()` with the window reduced to its shape, and `snapshotAt`,
 * the server's epoch ms when it was read, against which the page counts down to `retryAt` and
 * turns successive `stats` into rates whatever the skew between the two clocks.
 */
export interface DashboardBreaker extends Omit<CircuitBreakerSnapshot, "window"> {
  readonly name: string;
  readonly window?: DashboardWindow | undefined;
  readonly metrics?: CircuitBreakerMetrics | undefined;
  readonly stats?: CircuitBreakerStats | undefined;
  readonly snapshotAt: number;
}

/** Every breaker of the monitor, in its order, read through `monitor.snapshot()`. */
export function readBreakers(monitor: CircuitBreakerMonitor): DashboardBreaker[] {
  const snapshotAt = Date.now();
  return monitor.snapshot().map((snapshot) => toView(snapshot, snapshotAt));
}

/** One breaker's snapshot as the dashboard serves it. */
export function toView(snapshot: CircuitBreakerSnapshot, snapshotAt: number): DashboardBreaker {
  const { window, ...rest } = snapshot;
  // A monitor holds named breakers only (register refuses the others).
  return { ...rest, name: snapshot.name as string, window: windowShape(window), snapshotAt };
}

function windowShape(window: WindowSnapshot | undefined): DashboardWindow | undefined {
  if (window === undefined) return undefined;
  return window.kind === "count"
    ? { kind: "count", size: window.size }
    : { kind: "time", duration: window.duration, buckets: window.buckets };
}
