import type {
  CircuitBreakerMetrics,
  CircuitBreakerMonitor,
  CircuitBreakerSnapshot,
  CircuitBreakerStats,
  WindowSnapshot,
} from "../index.js";

/** A window's shape without its contents (a count window's contents can be long). */
export type DashboardWindow =
  | {
      /** A window over the last `size` calls. */
      readonly kind: "count";
      /** Calls the window holds. */
      readonly size: number;
    }
  | {
      /** A window over the last `duration` ms, in `buckets`. */
      readonly kind: "time";
      /** Milliseconds the window spans. */
      readonly duration: number;
      /** Buckets the span is cut into. */
      readonly buckets: number;
    };

/**
 * One breaker as the dashboard serves it (`GET /snapshot`, every `data:` line of `GET /events`,
 * a control's answer): its `toJSON()` with the window reduced to its shape, and `snapshotAt`,
 * the server's epoch ms when it was read, against which the page counts down to `retryAt` and
 * turns successive `stats` into rates whatever the skew between the two clocks.
 */
export interface DashboardBreaker extends Omit<CircuitBreakerSnapshot, "window"> {
  /** The breaker's name in the monitor. */
  readonly name: string;
  /** The window's shape, when the breaker has one. */
  readonly window?: DashboardWindow | undefined;
  /** What the window holds (all zero without one). */
  readonly metrics?: CircuitBreakerMetrics | undefined;
  /** The breaker's call counts since it was created. */
  readonly stats?: CircuitBreakerStats | undefined;
  /** The server's clock (epoch ms) when this was read. */
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
