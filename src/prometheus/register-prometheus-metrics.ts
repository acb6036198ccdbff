import { Counter, Gauge, type OpenMetricsContentType, type Registry } from "prom-client";
import type {
  CallInfo,
  CircuitBreaker,
  CircuitBreakerListenerHooks,
  CircuitBreakerMonitor,
  CircuitBreakerState,
} from "../index.js";
import { BreakerTracker } from "../exporters/breaker-tracker.js";
import { OUTCOME_COUNTS, STATES } from "../exporters/call-outcomes.js";
import { checkMonitor, checkOptions } from "../exporters/check-options.js";
import { describeValue } from "../index.js";
import { StateChangeCounts } from "../exporters/state-changes.js";
import {
  CallDurationHistogram,
  DurationCell,
  type AnyRegistry,
  type DurationSeries,
} from "./duration-histogram.js";

const FN = "registerPrometheusMetrics";
const DEFAULT_PREFIX = "aiobreaker_";
// Metric-name characters; colons are left out, as Prometheus keeps them for recording rules.
const PREFIX_PATTERN = /^(?:[a-zA-Z_][a-zA-Z0-9_]*)?$/;

/**
 * What {@link registerPrometheusMetrics} takes.
 *
 * @example
 * ```ts
 * const options: PrometheusMetricsOptions = { monitor, registry, prefix: "checkout_breaker_" };
 * registerPrometheusMetrics(options); // checkout_breaker_calls_total, checkout_breaker_state, ...
 * ```
 */
export interface PrometheusMetricsOptions {
  /** The breakers to export: every breaker in it now, and each one registered later. */
  readonly monitor: CircuitBreakerMonitor;
  /**
   * The prom-client `Registry` the metrics are registered on (prom-client's global `register`
   * only if that is the one given), in either exposition format.
   */
  readonly registry: Registry | Registry<OpenMetricsContentType>;
  /**
   * What every metric name starts with, in place of `"aiobreaker_"` (the default): letters,
   * digits and underscores, not starting with a digit; `""` for none.
   */
  readonly prefix?: string | undefined;
}

/**
 * What {@link registerPrometheusMetrics} returns.
 *
 * @example
 * ```ts
 * const exported: PrometheusMetrics = registerPrometheusMetrics({ monitor, registry });
 * process.once("SIGTERM", () => exported.close());
 * ```
 */
export interface PrometheusMetrics {
  /**
   * Removes the metrics from the registry, stops following the monitor and takes the listener
   * off every breaker. Calling it again does nothing.
   */
  close(): void;
}

/** The listener added to each exported breaker: durations by outcome, and changes of state. */
class SeriesListener implements CircuitBreakerListenerHooks {
  readonly successes = new DurationCell();
  readonly excluded = new DurationCell();
  readonly failures = new DurationCell();
  readonly timeouts = new DurationCell();
  readonly changes = new StateChangeCounts();

  success(_breaker: CircuitBreaker, info: CallInfo): void {
    const duration = info.duration;
    // NaN: the call started before this listener was added, so nothing timed it.
    if (!Number.isFinite(duration)) return;
    (info.outcome === "excluded" ? this.excluded : this.successes).observe(duration / 1000);
  }

  // A timeout reaches `failure` too, with outcome "timeout": it is observed here, once.
  failure(_breaker: CircuitBreaker, _error: unknown, info: CallInfo): void {
    const duration = info.duration;
    if (!Number.isFinite(duration)) return;
    (info.outcome === "timeout" ? this.timeouts : this.failures).observe(duration / 1000);
  }

  stateChange(_breaker: CircuitBreaker, from: CircuitBreakerState, to: CircuitBreakerState): void {
    this.changes.add(from, to);
  }
}

interface Exported {
  readonly name: string;
  readonly listener: SeriesListener;
}

/**
 * Exports the breakers of `monitor` to a prom-client `Registry`, those registered later
 * included; a breaker unregistered from the monitor leaves the output. With the default prefix:
 *
 * - `aiobreaker_calls_total{name, outcome}` (counter): calls since each breaker was created, by
 *   outcome: `success`, `failure`, `timeout`, `rejected`, `neutral`, `excluded`,
 *   `concurrency_limited`;
 * - `aiobreaker_call_duration_seconds{name, outcome}` (histogram, buckets
 *   `CALL_DURATION_BUCKETS`): the calls that ran (`success`, `excluded`, `failure`,
 *   `timeout`), from their start to their outcome; calls started before the export began are
 *   counted but not timed;
 * - `aiobreaker_state{name, state}` (gauge): 1 for the current state, 0 for the other two;
 * - `aiobreaker_state_changes_total{name, from, to}` (counter): changes since the export began;
 * - `aiobreaker_failure_ratio{name}`, `aiobreaker_slow_call_ratio{name}` (gauges, 0 to 1): the
 *   window's rates, for breakers that have a window.
 *
 * Values are read from the breakers when the registry is scraped; nothing runs in between but
 * the duration listener (a breaker with a hook that takes durations times its calls). Label
 * values are breaker names and the fixed sets above, so the series stay bounded.
 *
 * Registering on a registry that already has one of these names is an error naming it
 * (`close()` the earlier export first, or give another `prefix`).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { Registry } from "prom-client";
 * import { registerPrometheusMetrics } from "aiobreaker/prometheus";
 *
 * const registry = new Registry();
 * const exported = registerPrometheusMetrics({ monitor, registry });
 * createServer(async (_request, response) => {
 *   response.setHeader("content-type", registry.contentType);
 *   response.end(await registry.metrics());
 * }).listen(9464);
 * // on shutdown: exported.close();
 * ```
 */
export function registerPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  const given = checkOptions(FN, options, ["monitor", "registry", "prefix"]);
  const monitor = checkMonitor(FN, given["monitor"]);
  const registry = checkRegistry(given["registry"]);
  const prefix = checkPrefix(given["prefix"]);
  const names = {
    calls: `${prefix}calls_total`,
    duration: `${prefix}call_duration_seconds`,
    state: `${prefix}state`,
    changes: `${prefix}state_changes_total`,
    failureRatio: `${prefix}failure_ratio`,
    slowCallRatio: `${prefix}slow_call_ratio`,
  };
  for (const name of Object.values(names)) {
    if (registry.getSingleMetric(name) !== undefined) {
      throw new Error(
        `${FN}: the registry already has a metric named ${JSON.stringify(name)} ` +
          "(these metrics are registered on it already? close() that export first, or pass another prefix)",
      );
    }
  }

  const registers = [registry];
  const calls = new Counter<"name" | "outcome">({
    name: names.calls,
    help: "Calls made through each circuit breaker since it was created, by outcome.",
    labelNames: ["name", "outcome"],
    registers,
    collect: () => {
      calls.reset();
      for (const [breaker, { name }] of tracker.entries()) {
        const stats = breaker.stats;
        for (const [outcome, count] of OUTCOME_COUNTS) calls.inc({ name, outcome }, stats[count]);
      }
    },
  });
  const duration = new CallDurationHistogram(
    names.duration,
    "How long each circuit breaker's calls that ran took, in seconds, by outcome.",
    registry,
    () => durationSeries(tracker),
  );
  const state = new Gauge<"name" | "state">({
    name: names.state,
    help: "1 for each circuit breaker's current state, 0 for the other two.",
    labelNames: ["name", "state"],
    registers,
    collect: () => {
      state.reset();
      for (const [breaker, { name }] of tracker.entries()) {
        const current = breaker.state;
        for (const each of STATES) state.set({ name, state: each }, each === current ? 1 : 0);
      }
    },
  });
  const changes = new Counter<"name" | "from" | "to">({
    name: names.changes,
    help: "Changes of each circuit breaker's state since these metrics were registered.",
    labelNames: ["name", "from", "to"],
    registers,
    collect: () => {
      changes.reset();
      for (const [, { name, listener }] of tracker.entries()) {
        listener.changes.forEach((from, to, count) => {
          changes.inc({ name, from, to }, count);
        });
      }
    },
  });
  const ratio = (metricName: string, help: string, rate: "failureRate" | "slowCallRate") => {
    const gauge = new Gauge<"name">({
      name: metricName,
      help,
      labelNames: ["name"],
      registers,
      collect: () => {
        gauge.reset();
        for (const [breaker, { name }] of tracker.entries()) {
          if (breaker.toJSON().window === undefined) continue;
          gauge.set({ name }, breaker.metrics[rate] / 100);
        }
      },
    });
    return gauge;
  };
  const failureRatio = ratio(
    names.failureRatio,
    "Failed calls over calls in each windowed circuit breaker's window, 0 to 1.",
    "failureRate",
  );
  const slowCallRatio = ratio(
    names.slowCallRatio,
    "Slow calls over calls in each windowed circuit breaker's window, 0 to 1.",
    "slowCallRate",
  );

  const tracker = new BreakerTracker<Exported>(monitor, (breaker) => ({
    // A monitor holds only named breakers.
    name: breaker.name as string,
    listener: new SeriesListener(),
  }));

  const registered = [
    [names.calls, calls],
    [names.duration, duration],
    [names.state, state],
    [names.changes, changes],
    [names.failureRatio, failureRatio],
    [names.slowCallRatio, slowCallRatio],
  ] as const;
  return {
    close() {
      tracker.close();
      for (const [name, metric] of registered) {
        if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
      }
    },
  };
}

function* durationSeries(tracker: BreakerTracker<Exported>): Generator<DurationSeries> {
  for (const [, { name, listener }] of tracker.entries()) {
    yield [name, "success", listener.successes];
    yield [name, "excluded", listener.excluded];
    yield [name, "failure", listener.failures];
    yield [name, "timeout", listener.timeouts];
  }
}

function checkRegistry(registry: unknown): AnyRegistry {
  const candidate = registry as Partial<Record<string, unknown>> | null | undefined;
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof candidate["registerMetric"] !== "function" ||
    typeof candidate["getSingleMetric"] !== "function" ||
    typeof candidate["removeSingleMetric"] !== "function"
  ) {
    throw new TypeError(
      `${FN}: options.registry must be a prom-client Registry (new Registry(), or prom-client's register), got ${describeValue(registry)}`,
    );
  }
  return registry as AnyRegistry;
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (typeof prefix !== "string") {
    throw new TypeError(
      `${FN}: options.prefix must be a string such as "myapp_breaker_", got ${describeValue(prefix)}`,
    );
  }
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError(
      `${FN}: options.prefix must be letters, digits and underscores, not starting with a digit (a Prometheus metric-name prefix), got ${describeValue(prefix)}`,
    );
  }
  return prefix;
}
