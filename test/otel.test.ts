import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type Histogram as HistogramPoint,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor, type CallInfo } from "../src/index.js";
import {
  CALL_DURATION_BUCKETS,
  OTEL_ATTRIBUTES,
  instrumentOpenTelemetry,
} from "../src/otel/index.js";
import { SCRIPT_COUNTS, SCRIPT_DURATIONS, runScript, scriptedBreaker } from "./exporter-script.js";
import { deferred, manualClock } from "./support.js";

/** A reader collected on demand: no exporter, no timer. */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const deltaReader = () =>
  new OnDemandReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });

type Collected = Map<string, MetricData>;

/** The `aiobreaker` meter's metrics in one collection, by name. */
async function collect(reader: MetricReader): Promise<Collected> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const collected: Collected = new Map();
  for (const scope of resourceMetrics.scopeMetrics) {
    expect(scope.scope.name).toBe("aiobreaker");
    for (const metric of scope.metrics) collected.set(metric.descriptor.name, metric);
  }
  return collected;
}

/** One breaker's data points of a metric, keyed by their other attributes ("k=v,k=v"). */
function pointsOf<T = number>(
  collected: Collected,
  metric: string,
  name: string,
): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const point of collected.get(metric)?.dataPoints ?? []) {
    const { [OTEL_ATTRIBUTES.NAME]: own, ...rest } = point.attributes;
    if (own !== name) continue;
    const key = Object.entries(rest)
      .map(([attribute, value]) => `${attribute}=${String(value)}`)
      .sort()
      .join(",");
    expect(picked[key], `a duplicate point: ${key}`).toBeUndefined();
    picked[key] = point.value as T;
  }
  return picked;
}

const outcome = (value: string) => `aiobreaker.outcome=${value}`;
const stateIs = (value: string) => `aiobreaker.state=${value}`;
const change = (from: string, to: string) =>
  `aiobreaker.from_state=${from},aiobreaker.to_state=${to}`;

describe("instrumentOpenTelemetry", () => {
  let monitor: CircuitBreakerMonitor;
  let reader: OnDemandReader;
  let provider: MeterProvider;

  beforeEach(() => {
    monitor = new CircuitBreakerMonitor();
    reader = new OnDemandReader();
    provider = new MeterProvider({ readers: [reader] });
  });
  afterEach(async () => {
    await provider.shutdown();
  });

  describe("with fake timers", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("counts each outcome exactly and records each call that ran once, under its outcome", async () => {
      const breaker = scriptedBreaker("db", monitor);
      const instrumentation = instrumentOpenTelemetry({ monitor, meterProvider: provider });
      await runScript(breaker);
      const collected = await collect(reader);

      const calls = collected.get("aiobreaker.calls");
      expect(calls?.descriptor).toMatchObject({ unit: "{call}", type: "OBSERVABLE_COUNTER" });
      expect(calls?.dataPointType).toBe(DataPointType.SUM);
      expect(pointsOf(collected, "aiobreaker.calls", "db")).toEqual({
        [outcome("success")]: SCRIPT_COUNTS.success,
        [outcome("failure")]: SCRIPT_COUNTS.failure,
        [outcome("timeout")]: SCRIPT_COUNTS.timeout,
        [outcome("rejected")]: SCRIPT_COUNTS.rejected,
        [outcome("neutral")]: SCRIPT_COUNTS.neutral,
        [outcome("excluded")]: SCRIPT_COUNTS.excluded,
        [outcome("concurrency_limited")]: SCRIPT_COUNTS.concurrency_limited,
      });

      const duration = collected.get("aiobreaker.call.duration");
      expect(duration?.descriptor).toMatchObject({
        unit: "s",
        type: "HISTOGRAM",
        advice: { explicitBucketBoundaries: [...CALL_DURATION_BUCKETS] },
      });
      const histograms = pointsOf<HistogramPoint>(collected, "aiobreaker.call.duration", "db");
      expect(Object.keys(histograms).sort()).toEqual(
        Object.keys(SCRIPT_DURATIONS).map(outcome).sort(),
      );
      for (const [name, durations] of Object.entries(SCRIPT_DURATIONS)) {
        const point = histograms[outcome(name)];
        expect(point?.count, name).toBe(durations.length);
        expect(point?.sum, name).toBeCloseTo(
          durations.reduce<number>((a, b) => a + b, 0),
          9,
        );
        expect(point?.buckets.boundaries).toEqual([...CALL_DURATION_BUCKETS]);
        const counts = [...CALL_DURATION_BUCKETS, Infinity].map(
          (bound, at) =>
            durations.filter(
              (duration) =>
                duration <= bound && (at === 0 || duration > (CALL_DURATION_BUCKETS[at - 1] ?? 0)),
            ).length,
        );
        expect(point?.buckets.counts, name).toEqual(counts);
      }

      expect(pointsOf(collected, "aiobreaker.state", "db")).toEqual({
        [stateIs("closed")]: 0,
        [stateIs("open")]: 1,
        [stateIs("half-open")]: 0,
      });
      expect(pointsOf(collected, "aiobreaker.state_changes", "db")).toEqual({
        [change("closed", "open")]: 1,
        [change("closed", "half-open")]: 0,
        [change("open", "closed")]: 0,
        [change("open", "half-open")]: 0,
        [change("half-open", "closed")]: 0,
        [change("half-open", "open")]: 0,
      });
      expect(collected.get("aiobreaker.state_changes")?.descriptor.unit).toBe("{change}");
      instrumentation.close();
    });
  });

  it("reports the current state and counts changes at each collection", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ name: "api", monitor, clock, resetTimeout: 1_000 });
    instrumentOpenTelemetry({ monitor, meterProvider: provider });
    const stateOf = async () => pointsOf(await collect(reader), "aiobreaker.state", "api");
    expect(await stateOf()).toEqual({
      [stateIs("closed")]: 1,
      [stateIs("open")]: 0,
      [stateIs("half-open")]: 0,
    });
    breaker.open();
    expect(await stateOf()).toEqual({
      [stateIs("closed")]: 0,
      [stateIs("open")]: 1,
      [stateIs("half-open")]: 0,
    });
    time.now += 1_000;
    await breaker.call(() => "trial ok");
    expect(await stateOf()).toEqual({
      [stateIs("closed")]: 1,
      [stateIs("open")]: 0,
      [stateIs("half-open")]: 0,
    });
    breaker.halfOpen();
    expect(await stateOf()).toEqual({
      [stateIs("closed")]: 0,
      [stateIs("open")]: 0,
      [stateIs("half-open")]: 1,
    });
    expect(pointsOf(await collect(reader), "aiobreaker.state_changes", "api")).toEqual({
      [change("closed", "open")]: 1,
      [change("closed", "half-open")]: 1,
      [change("open", "closed")]: 0,
      [change("open", "half-open")]: 1,
      [change("half-open", "closed")]: 1,
      [change("half-open", "open")]: 0,
    });
  });

  it("follows the monitor: later breakers are reported, unregistered ones lose the listener and are no longer observed", async () => {
    const delta = deltaReader();
    const deltaProvider = new MeterProvider({ readers: [delta] });
    const first = new CircuitBreaker({ name: "first", monitor });
    instrumentOpenTelemetry({ monitor, meterProvider: deltaProvider });
    const later = new CircuitBreaker({ name: "later", monitor });
    expect(later.listeners).toHaveLength(1);
    await later.call(() => "ok");
    let collected = await collect(delta);
    expect(pointsOf(collected, "aiobreaker.calls", "later")[outcome("success")]).toBe(1);
    expect(
      pointsOf<HistogramPoint>(collected, "aiobreaker.call.duration", "later")[outcome("success")]
        ?.count,
    ).toBe(1);
    monitor.unregister(later);
    expect(later.listeners).toEqual([]);
    await later.call(() => "ok");
    await first.call(() => "ok");
    collected = await collect(delta);
    for (const name of [
      "aiobreaker.calls",
      "aiobreaker.state",
      "aiobreaker.state_changes",
      "aiobreaker.call.duration",
    ]) {
      expect(pointsOf(collected, name, "later"), name).toEqual({});
    }
    expect(pointsOf(collected, "aiobreaker.state", "first")[stateIs("closed")]).toBe(1);
    expect(
      pointsOf<HistogramPoint>(collected, "aiobreaker.call.duration", "first")[outcome("success")]
        ?.count,
    ).toBe(1);
    await deltaProvider.shutdown();
  });

  it("records only calls started once it is attached, and then listeners see real durations", async () => {
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const early = deferred();
    const earlyFailure = deferred();
    const started = breaker.call(() => early.promise);
    const startedFailure = breaker.call(() => earlyFailure.promise);
    instrumentOpenTelemetry({ monitor, meterProvider: provider });
    const durations: number[] = [];
    breaker.addListener({
      success: (_breaker, info: CallInfo) => durations.push(info.duration),
      failure: (_breaker, _error, info: CallInfo) => durations.push(info.duration),
    });
    early.resolve("early");
    earlyFailure.reject(new Error("early"));
    await started;
    await startedFailure.catch(() => undefined);
    await breaker.call(() => "after");
    await breaker.call(() => Promise.reject(new Error("after"))).catch(() => undefined);
    expect(durations.slice(0, 2)).toEqual([NaN, NaN]);
    expect(durations.slice(2).every((duration) => Number.isFinite(duration) && duration >= 0)).toBe(
      true,
    );
    const collected = await collect(reader);
    expect(pointsOf(collected, "aiobreaker.calls", "db")).toMatchObject({
      [outcome("success")]: 2,
      [outcome("failure")]: 2,
    });
    const histograms = pointsOf<HistogramPoint>(collected, "aiobreaker.call.duration", "db");
    expect(Object.keys(histograms).sort()).toEqual([outcome("failure"), outcome("success")]);
    for (const point of Object.values(histograms)) {
      expect(point.count).toBe(1);
      expect(Number.isFinite(point.sum)).toBe(true);
    }
  });

  it("close() removes its callbacks and listeners; the monitor can then be instrumented again", async () => {
    const delta = deltaReader();
    const deltaProvider = new MeterProvider({ readers: [delta] });
    const breaker = new CircuitBreaker({ name: "db", monitor });
    // The SDK hands out one Meter per name: watch (not replace) what is added to it and removed.
    const meter = deltaProvider.getMeter("aiobreaker");
    const added = vi.spyOn(meter, "addBatchObservableCallback");
    const removed = vi.spyOn(meter, "removeBatchObservableCallback");
    const instrumentation = instrumentOpenTelemetry({ monitor, meterProvider: deltaProvider });
    expect(added).toHaveBeenCalledTimes(1);
    expect(() => instrumentOpenTelemetry({ monitor, meterProvider: deltaProvider })).toThrow(
      /instrumentOpenTelemetry: this monitor is instrumented on this meter provider already/,
    );
    expect(breaker.listeners).toHaveLength(1);
    await breaker.call(() => "ok");
    expect((await collect(delta)).size).toBe(3 + 1);
    instrumentation.close();
    instrumentation.close();
    expect(removed.mock.calls).toEqual(added.mock.calls);
    expect(breaker.listeners).toEqual([]);
    const later = new CircuitBreaker({ name: "later", monitor });
    expect(later.listeners).toEqual([]);
    await breaker.call(() => "ok");
    expect((await collect(delta)).size).toBe(0);

    const again = instrumentOpenTelemetry({ monitor, meterProvider: deltaProvider });
    expect(breaker.listeners).toHaveLength(1);
    expect(pointsOf(await collect(delta), "aiobreaker.state", "later")[stateIs("closed")]).toBe(1);
    again.close();
    await deltaProvider.shutdown();
  });

  it("instruments one monitor on several providers, and several monitors on one provider", async () => {
    const otherReader = new OnDemandReader();
    const otherProvider = new MeterProvider({ readers: [otherReader] });
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const otherMonitor = new CircuitBreakerMonitor();
    new CircuitBreaker({ name: "cache", monitor: otherMonitor });
    instrumentOpenTelemetry({ monitor, meterProvider: provider });
    instrumentOpenTelemetry({ monitor, meterProvider: otherProvider });
    instrumentOpenTelemetry({ monitor: otherMonitor, meterProvider: provider });
    await breaker.call(() => "ok");
    const collected = await collect(reader);
    expect(pointsOf(collected, "aiobreaker.calls", "db")[outcome("success")]).toBe(1);
    expect(pointsOf(collected, "aiobreaker.state", "cache")[stateIs("closed")]).toBe(1);
    expect(
      pointsOf<HistogramPoint>(collected, "aiobreaker.call.duration", "db")[outcome("success")]
        ?.count,
    ).toBe(1);
    const other = await collect(otherReader);
    expect(
      pointsOf<HistogramPoint>(other, "aiobreaker.call.duration", "db")[outcome("success")]?.count,
    ).toBe(1);
    expect(pointsOf(other, "aiobreaker.state", "cache")).toEqual({});
    await otherProvider.shutdown();
  });

  it("uses the global meter provider by default", async () => {
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    try {
      const breaker = new CircuitBreaker({ name: "db", monitor });
      const instrumentation = instrumentOpenTelemetry({ monitor, meterProvider: undefined });
      await breaker.call(() => "ok");
      expect(pointsOf(await collect(reader), "aiobreaker.calls", "db")[outcome("success")]).toBe(1);
      instrumentation.close();
      instrumentOpenTelemetry({ monitor }).close();
    } finally {
      metrics.disable();
    }
  });

  it("refuses bad input with a TypeError naming it", () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /instrumentOpenTelemetry expects an options object .* got undefined/],
      ["monitor", /expects an options object .* got "monitor"/],
      [{}, /options\.monitor must be a CircuitBreakerMonitor, got undefined/],
      [
        { monitor: new CircuitBreaker() },
        /options\.monitor must be a CircuitBreakerMonitor, got an instance of CircuitBreaker/,
      ],
      [
        { monitor, meterProvider: null },
        /options\.meterProvider must be an OpenTelemetry MeterProvider .* got null/,
      ],
      [{ monitor, meterProvider: { getMeter: 1 } }, /options\.meterProvider .* got an object/],
      [
        { monitor, meterProvider: provider.getMeter("x") },
        /options\.meterProvider .* got an instance of Meter/,
      ],
      [{ monitor, provider }, /unknown option "provider" \(known: monitor, meterProvider\)/],
    ];
    for (const [options, message] of bad) {
      expect(() => instrumentOpenTelemetry(options as never), String(message)).toThrow(TypeError);
      expect(() => instrumentOpenTelemetry(options as never), String(message)).toThrow(message);
    }
  });
});
