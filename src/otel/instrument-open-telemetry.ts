import {
  metrics,
  type Attributes,
  type BatchObservableCallback,
  type Histogram,
  type MeterProvider,
  type Observable,
} from "@opentelemetry/api";
import type {
  CallInfo,
  CallOutcome,
  CircuitBreaker,
  CircuitBreakerListenerHooks,
  CircuitBreakerMonitor,
  CircuitBreakerState,
} from "../index.js";
import { BreakerTracker } from "../exporters/breaker-tracker.js";
import { CALL_OUTCOMES, OUTCOME_COUNTS, STATES } from "../exporters/call-outcomes.js";
import { checkMonitor, checkOptions } from "../exporters/check-options.js";
import { describeValue } from "../index.js";
import { CALL_DURATION_BUCKETS } from "../exporters/duration-buckets.js";
import { StateChangeCounts } from "../exporters/state-changes.js";

const FN = "instrumentOpenTelemetry";

/**
 * The attribute names on the `aiobreaker` meter's instruments. A change's states are
 * `aiobreaker.from_state` and `aiobreaker.to_state` (not under `aiobreaker.state.`, since
 * `aiobreaker.state` is an attribute itself, and OpenTelemetry names keep attributes and
 * namespaces apart).
 *
 * @example
 * ```ts
 * const open = point.attributes[OTEL_ATTRIBUTES.TO_STATE] === "open";
 * ```
 */
export const OTEL_ATTRIBUTES = Object.freeze({
  /** The breaker's name, on every instrument. */
  NAME: "aiobreaker.name",
  /** How a call ended (`aiobreaker.calls`, `aiobreaker.call.duration`). */
  OUTCOME: "aiobreaker.outcome",
  /** The state a series of `aiobreaker.state` stands for. */
  STATE: "aiobreaker.state",
  /** The state a change left (`aiobreaker.state_changes`). */
  FROM_STATE: "aiobreaker.from_state",
  /** The state a change entered (`aiobreaker.state_changes`). */
  TO_STATE: "aiobreaker.to_state",
} as const);

/**
 * What {@link instrumentOpenTelemetry} takes.
 *
 * @example
 * ```ts
 * const meterProvider = new MeterProvider({ readers: [new PrometheusExporter()] });
 * const options: OpenTelemetryOptions = { monitor, meterProvider };
 * instrumentOpenTelemetry(options);
 * ```
 */
export interface OpenTelemetryOptions {
  /** The breakers to instrument: every breaker in it now, and each one registered later. */
  readonly monitor: CircuitBreakerMonitor;
  /**
   * Where the `aiobreaker` meter comes from; default: the global provider
   * (`metrics.getMeterProvider()`), read when this is called, so register the SDK before.
   */
  readonly meterProvider?: MeterProvider | undefined;
}

/**
 * What {@link instrumentOpenTelemetry} returns.
 *
 * @example
 * ```ts
 * const instrumentation: OpenTelemetryInstrumentation = instrumentOpenTelemetry({ monitor });
 * process.once("SIGTERM", () => instrumentation.close());
 * ```
 */
export interface OpenTelemetryInstrumentation {
  /**
   * Stops the instrumentation: the observable callbacks are removed and the listener is taken off
   * every breaker (what the SDK has aggregated so far stays with it). Calling it again does nothing.
   */
  close(): void;
}

/** The listener added to each instrumented breaker: records durations, counts changes of state. */
class RecordingListener implements CircuitBreakerListenerHooks {
  readonly changes = new StateChangeCounts();
  readonly #duration: Histogram;
  readonly #attributes: Readonly<Record<CallOutcome, Attributes>>;

  constructor(duration: Histogram, attributes: Readonly<Record<CallOutcome, Attributes>>) {
    this.#duration = duration;
    this.#attributes = attributes;
  }

  success(_breaker: CircuitBreaker, info: CallInfo): void {
    // NaN: the call started before this listener was added, so nothing timed it.
    if (Number.isFinite(info.duration)) {
      this.#duration.record(info.duration / 1000, this.#attributes[info.outcome]);
    }
  }

  // A timeout reaches `failure` too, with outcome "timeout": it is recorded here, once.
  failure(_breaker: CircuitBreaker, _error: unknown, info: CallInfo): void {
    if (Number.isFinite(info.duration)) {
      this.#duration.record(info.duration / 1000, this.#attributes[info.outcome]);
    }
  }

  stateChange(_breaker: CircuitBreaker, from: CircuitBreakerState, to: CircuitBreakerState): void {
    this.changes.add(from, to);
  }
}

interface Instrumented {
  readonly name: string;
  readonly listener: RecordingListener;
  /** Attributes per outcome, made once per breaker so that recording allocates nothing. */
  readonly outcomes: Readonly<Record<CallOutcome, Attributes>>;
  readonly states: Readonly<Record<CircuitBreakerState, Attributes>>;
}

// Each monitor instrumented on a provider, while it is: a second would count every call twice.
const instrumented = new WeakMap<MeterProvider, WeakSet<CircuitBreakerMonitor>>();

/**
 * Reports the breakers of `monitor`, those registered later included, on the meter `aiobreaker`:
 *
 * - `aiobreaker.calls` (observable counter, unit `{call}`, attributes `aiobreaker.name`,
 *   `aiobreaker.outcome`): calls since each breaker was created, by outcome: `success`,
 *   `failure`, `timeout`, `rejected`, `neutral`, `excluded`, `concurrency_limited`;
 * - `aiobreaker.call.duration` (histogram, unit `s`, advised bucket boundaries
 *   `CALL_DURATION_BUCKETS`): the calls that ran (outcomes `success`, `excluded`, `failure`,
 *   `timeout`), recorded as they end; calls started before this was called are not timed;
 * - `aiobreaker.state` (observable gauge, attributes `aiobreaker.name`, `aiobreaker.state`): 1
 *   for the current state, 0 for the other two;
 * - `aiobreaker.state_changes` (observable counter, unit `{change}`, attributes
 *   `aiobreaker.name`, `aiobreaker.from_state`, `aiobreaker.to_state`): changes since this was
 *   called.
 *
 * The observable instruments are read when the SDK collects; no timer runs. A breaker that
 * leaves the monitor is no longer observed (with cumulative temporality the SDK goes on
 * reporting the last values it had). Instrumenting one monitor twice on one provider while the
 * first is open is an error (it would count twice).
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { instrumentOpenTelemetry } from "aiobreaker/otel";
 *
 * metrics.setGlobalMeterProvider(meterProvider); // the SDK's, registered first
 * const instrumentation = instrumentOpenTelemetry({ monitor });
 * // or without the global: instrumentOpenTelemetry({ monitor, meterProvider });
 * // on shutdown: instrumentation.close();
 * ```
 */
export function instrumentOpenTelemetry(
  options: OpenTelemetryOptions,
): OpenTelemetryInstrumentation {
  const given = checkOptions(FN, options, ["monitor", "meterProvider"]);
  const monitor = checkMonitor(FN, given["monitor"]);
  const provider = checkProvider(given["meterProvider"]);
  let monitors = instrumented.get(provider);
  if (monitors?.has(monitor) === true) {
    throw new Error(
      `${FN}: this monitor is instrumented on this meter provider already (close() that instrumentation first)`,
    );
  }
  const meter = provider.getMeter("aiobreaker");
  const calls = meter.createObservableCounter("aiobreaker.calls", {
    description: "Calls made through each circuit breaker since it was created, by outcome.",
    unit: "{call}",
  });
  const duration = meter.createHistogram("aiobreaker.call.duration", {
    description: "How long each circuit breaker's calls that ran took, by outcome.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...CALL_DURATION_BUCKETS] },
  });
  const state = meter.createObservableGauge("aiobreaker.state", {
    description: "1 for each circuit breaker's current state, 0 for the other two.",
    unit: "1",
  });
  const changes = meter.createObservableCounter("aiobreaker.state_changes", {
    description: "Changes of each circuit breaker's state since the instrumentation began.",
    unit: "{change}",
  });

  const tracker = new BreakerTracker<Instrumented>(monitor, (breaker) => {
    // A monitor holds only named breakers.
    const name = breaker.name as string;
    const outcomes = byKey(CALL_OUTCOMES, (outcome) =>
      Object.freeze({ [OTEL_ATTRIBUTES.NAME]: name, [OTEL_ATTRIBUTES.OUTCOME]: outcome }),
    );
    const states = byKey(STATES, (each) =>
      Object.freeze({ [OTEL_ATTRIBUTES.NAME]: name, [OTEL_ATTRIBUTES.STATE]: each }),
    );
    return { name, listener: new RecordingListener(duration, outcomes), outcomes, states };
  });

  const observables: Observable[] = [calls, state, changes];
  const observe: BatchObservableCallback = (result) => {
    for (const [breaker, entry] of tracker.entries()) {
      const stats = breaker.stats;
      for (const [outcome, count] of OUTCOME_COUNTS) {
        result.observe(calls, stats[count], entry.outcomes[outcome]);
      }
      const current = breaker.state;
      for (const each of STATES)
        result.observe(state, each === current ? 1 : 0, entry.states[each]);
      entry.listener.changes.forEach((from, to, count) => {
        result.observe(changes, count, {
          [OTEL_ATTRIBUTES.NAME]: entry.name,
          [OTEL_ATTRIBUTES.FROM_STATE]: from,
          [OTEL_ATTRIBUTES.TO_STATE]: to,
        });
      });
    }
  };
  meter.addBatchObservableCallback(observe, observables);
  if (monitors === undefined) {
    monitors = new WeakSet();
    instrumented.set(provider, monitors);
  }
  monitors.add(monitor);

  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      meter.removeBatchObservableCallback(observe, observables);
      tracker.close();
      instrumented.get(provider)?.delete(monitor);
    },
  };
}

function checkProvider(provider: unknown): MeterProvider {
  if (provider === undefined) return metrics.getMeterProvider();
  if (
    typeof provider !== "object" ||
    provider === null ||
    typeof (provider as Partial<MeterProvider>).getMeter !== "function"
  ) {
    throw new TypeError(
      `${FN}: options.meterProvider must be an OpenTelemetry MeterProvider (with getMeter), got ${describeValue(provider)}`,
    );
  }
  return provider as MeterProvider;
}

function byKey<K extends string, V>(keys: readonly K[], make: (key: K) => V): Record<K, V> {
  const record = {} as Record<K, V>;
  for (const key of keys) record[key] = make(key);
  return record;
}
