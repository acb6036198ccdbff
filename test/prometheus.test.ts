import {
  Counter,
  Registry,
  register as globalRegistry,
  type OpenMetricsContentType,
} from "prom-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CircuitBreaker,
  CircuitBreakerMonitor,
  type CallInfo,
  type CircuitBreakerListenerHooks,
} from "../src/index.js";
import { CALL_DURATION_BUCKETS, registerPrometheusMetrics } from "../src/prometheus/index.js";
import { SCRIPT_COUNTS, SCRIPT_DURATIONS, runScript, scriptedBreaker } from "./exporter-script.js";
import { deferred, drain, manualClock } from "./support.js";

type Samples = Map<string, Record<string, number>>;

/** The registry's text output, parsed: metric name -> sorted label set ("a=x,b=y") -> value. */
async function scrape(registry: Registry): Promise<Samples> {
  const text = await registry.metrics();
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unparsed line: ${line}`);
    const [, name = "", labelText = "", value = ""] = match;
    const labels = [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, key = "", text = ""]) => `${key}=${text}`)
      .sort()
      .join(",");
    let family = samples.get(name);
    if (family === undefined) samples.set(name, (family = {}));
    expect(family[labels], `a duplicate series: ${line}`).toBeUndefined();
    family[labels] = Number(value);
  }
  return samples;
}

/** Every series of one metric for one breaker, keyed by its other labels. */
function seriesOf(samples: Samples, metric: string, name: string): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const [labels, value] of Object.entries(samples.get(metric) ?? {})) {
    const parts = labels.split(",");
    if (!parts.includes(`name=${name}`)) continue;
    picked[parts.filter((part) => part !== `name=${name}`).join(",")] = value;
  }
  return picked;
}

const names = (samples: Samples) => [...samples.keys()];

function expectedBuckets(durations: readonly number[]): Record<string, number> {
  const buckets: Record<string, number> = {};
  for (const bound of CALL_DURATION_BUCKETS) {
    buckets[`le=${String(bound)}`] = durations.filter((duration) => duration <= bound).length;
  }
  buckets["le=+Inf"] = durations.length;
  return buckets;
}

describe("registerPrometheusMetrics", () => {
  let monitor: CircuitBreakerMonitor;
  let registry: Registry;

  beforeEach(() => {
    monitor = new CircuitBreakerMonitor();
    registry = new Registry();
  });

  describe("with fake timers", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("counts each outcome exactly and times each call that ran once, under its outcome", async () => {
      const breaker = scriptedBreaker("db", monitor);
      new CircuitBreaker({ name: "idle", monitor });
      registerPrometheusMetrics({ monitor, registry });
      await runScript(breaker);
      const samples = await scrape(registry);

      expect(seriesOf(samples, "aiobreaker_calls_total", "db")).toEqual({
        "outcome=success": SCRIPT_COUNTS.success,
        "outcome=failure": SCRIPT_COUNTS.failure,
        "outcome=timeout": SCRIPT_COUNTS.timeout,
        "outcome=rejected": SCRIPT_COUNTS.rejected,
        "outcome=neutral": SCRIPT_COUNTS.neutral,
        "outcome=excluded": SCRIPT_COUNTS.excluded,
        "outcome=concurrency_limited": SCRIPT_COUNTS.concurrency_limited,
      });
      expect(Object.values(seriesOf(samples, "aiobreaker_calls_total", "idle"))).toEqual([
        0, 0, 0, 0, 0, 0, 0,
      ]);

      // Only the calls that ran have durations; a timeout is observed once, as a timeout.
      for (const [outcome, durations] of Object.entries(SCRIPT_DURATIONS)) {
        const buckets = seriesOf(samples, "aiobreaker_call_duration_seconds_bucket", "db");
        const own = Object.fromEntries(
          Object.entries(buckets)
            .filter(([labels]) => labels.includes(`outcome=${outcome}`))
            .map(([labels, value]) => [labels.replace(`,outcome=${outcome}`, ""), value]),
        );
        expect(own, outcome).toEqual(expectedBuckets(durations));
        const count = seriesOf(samples, "aiobreaker_call_duration_seconds_count", "db");
        expect(count[`outcome=${outcome}`], outcome).toBe(durations.length);
        const sum = seriesOf(samples, "aiobreaker_call_duration_seconds_sum", "db");
        const total = durations.reduce<number>((a, b) => a + b, 0);
        expect(sum[`outcome=${outcome}`], outcome).toBeCloseTo(total, 9);
      }
      expect(
        Object.keys(seriesOf(samples, "aiobreaker_call_duration_seconds_count", "db")),
      ).toEqual(["outcome=success", "outcome=excluded", "outcome=failure", "outcome=timeout"]);
      expect(seriesOf(samples, "aiobreaker_call_duration_seconds_count", "idle")).toEqual({});

      expect(seriesOf(samples, "aiobreaker_state", "db")).toEqual({
        "state=closed": 0,
        "state=open": 1,
        "state=half-open": 0,
      });
      expect(seriesOf(samples, "aiobreaker_state_changes_total", "db")).toEqual({
        "from=closed,to=open": 1,
        "from=closed,to=half-open": 0,
        "from=open,to=closed": 0,
        "from=open,to=half-open": 0,
        "from=half-open,to=closed": 0,
        "from=half-open,to=open": 0,
      });
      // No window, no ratio.
      expect(samples.get("aiobreaker_failure_ratio")).toBeUndefined();
      expect(samples.get("aiobreaker_slow_call_ratio")).toBeUndefined();
    });
  });

  it("reports the current state and counts every change, read when scraped", async () => {
    const { time, clock } = manualClock();
    const breaker = new CircuitBreaker({ name: "api", monitor, clock, resetTimeout: 1_000 });
    registerPrometheusMetrics({ monitor, registry });
    const stateOf = async () => seriesOf(await scrape(registry), "aiobreaker_state", "api");
    expect(await stateOf()).toEqual({ "state=closed": 1, "state=open": 0, "state=half-open": 0 });
    breaker.open();
    expect(await stateOf()).toEqual({ "state=closed": 0, "state=open": 1, "state=half-open": 0 });
    time.now += 1_000;
    await breaker
      .call(() => {
        throw new Error("trial fails");
      })
      .catch(() => undefined);
    expect(await stateOf()).toEqual({ "state=closed": 0, "state=open": 1, "state=half-open": 0 });
    breaker.halfOpen();
    expect(await stateOf()).toEqual({ "state=closed": 0, "state=open": 0, "state=half-open": 1 });
    breaker.close();
    expect(await stateOf()).toEqual({ "state=closed": 1, "state=open": 0, "state=half-open": 0 });
    breaker.forceOpen();
    expect(await stateOf()).toEqual({ "state=closed": 0, "state=open": 1, "state=half-open": 0 });
    expect(seriesOf(await scrape(registry), "aiobreaker_state_changes_total", "api")).toEqual({
      "from=closed,to=open": 2,
      "from=closed,to=half-open": 0,
      "from=open,to=closed": 0,
      "from=open,to=half-open": 2,
      "from=half-open,to=closed": 1,
      "from=half-open,to=open": 1,
    });
  });

  it("reports the window's failure and slow-call ratios, for breakers with a window only", async () => {
    const { time, clock } = manualClock();
    const windowed = new CircuitBreaker({
      name: "search",
      monitor,
      clock,
      window: { calls: 10 },
      minimumCalls: 10,
      slowCallDuration: 50,
    });
    const plain = new CircuitBreaker({ name: "plain", monitor });
    registerPrometheusMetrics({ monitor, registry });
    const slowly = (fail: boolean) => () => {
      time.now += 60;
      if (fail) throw new Error("slow failure");
      return "slow";
    };
    await windowed.call(slowly(false));
    await windowed.call(slowly(true)).catch(() => undefined);
    await windowed.call(() => "fast");
    await windowed.call(() => "fast");
    await plain.call(() => "ok");
    let samples = await scrape(registry);
    expect(samples.get("aiobreaker_failure_ratio")).toEqual({ "name=search": 0.25 });
    expect(samples.get("aiobreaker_slow_call_ratio")).toEqual({ "name=search": 0.5 });
    plain.reconfigure({ window: { calls: 5 } });
    await plain
      .call(() => {
        throw new Error("boom");
      })
      .catch(() => undefined);
    samples = await scrape(registry);
    expect(samples.get("aiobreaker_failure_ratio")).toEqual({
      "name=search": 0.25,
      "name=plain": 1,
    });
    expect(samples.get("aiobreaker_slow_call_ratio")).toEqual({
      "name=search": 0.5,
      "name=plain": 0,
    });
  });

  it("follows the monitor: breakers registered later appear, unregistered ones leave with their listener", async () => {
    const first = new CircuitBreaker({ name: "first", monitor });
    registerPrometheusMetrics({ monitor, registry });
    expect(first.listeners).toHaveLength(1);
    const later = new CircuitBreaker({ name: "later", monitor });
    expect(later.listeners).toHaveLength(1);
    await later.call(() => "ok");
    let samples = await scrape(registry);
    expect(seriesOf(samples, "aiobreaker_calls_total", "later")["outcome=success"]).toBe(1);
    expect(seriesOf(samples, "aiobreaker_call_duration_seconds_count", "later")).toEqual({
      "outcome=success": 1,
    });

    monitor.unregister(later);
    expect(later.listeners).toEqual([]);
    samples = await scrape(registry);
    const text = await registry.metrics();
    expect(text).not.toContain('name="later"');
    expect(text).toContain('name="first"');
    expect(seriesOf(samples, "aiobreaker_state", "first")["state=closed"]).toBe(1);
    // Calls after it left are not timed for this export.
    await later.call(() => "ok");
    expect(await registry.metrics()).not.toContain('name="later"');
  });

  it("times only calls started once it is attached, and then listeners see real durations", async () => {
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const before = deferred();
    const beforeFailure = deferred();
    const started = breaker.call(() => before.promise);
    const startedFailure = breaker.call(() => beforeFailure.promise);
    registerPrometheusMetrics({ monitor, registry });
    const durations: number[] = [];
    const listener: CircuitBreakerListenerHooks = {
      success: (_breaker, info: CallInfo) => durations.push(info.duration),
      failure: (_breaker, _error, info: CallInfo) => durations.push(info.duration),
    };
    breaker.addListener(listener);
    before.resolve("early");
    beforeFailure.reject(new Error("early"));
    await started;
    await startedFailure.catch(() => undefined);
    await breaker.call(() => "after");
    await breaker.call(() => Promise.reject(new Error("after"))).catch(() => undefined);
    expect(durations.slice(0, 2)).toEqual([NaN, NaN]);
    expect(durations.slice(2).every((duration) => Number.isFinite(duration) && duration >= 0)).toBe(
      true,
    );
    const samples = await scrape(registry);
    expect(seriesOf(samples, "aiobreaker_calls_total", "db")).toMatchObject({
      "outcome=success": 2,
      "outcome=failure": 2,
    });
    expect(seriesOf(samples, "aiobreaker_call_duration_seconds_count", "db")).toEqual({
      "outcome=success": 1,
      "outcome=failure": 1,
    });
    for (const sum of Object.values(
      seriesOf(samples, "aiobreaker_call_duration_seconds_sum", "db"),
    )) {
      expect(Number.isFinite(sum)).toBe(true);
    }
  });

  it("close() removes its metrics, its listeners and its watch, and leaves the rest of the registry", async () => {
    const own = new Counter({
      name: "app_requests_total",
      help: "requests",
      registers: [registry],
    });
    own.inc(2);
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const userListener = { stateChange: () => undefined };
    breaker.addListener(userListener);
    const exported = registerPrometheusMetrics({ monitor, registry });
    expect(breaker.listeners).toHaveLength(2);
    exported.close();
    expect(breaker.listeners).toEqual([userListener]);
    expect(names(await scrape(registry))).toEqual(["app_requests_total"]);
    const later = new CircuitBreaker({ name: "later", monitor });
    expect(later.listeners).toEqual([]);
    exported.close();
    expect(names(await scrape(registry))).toEqual(["app_requests_total"]);
    // The names are free again.
    const again = registerPrometheusMetrics({ monitor, registry });
    // No call has been timed yet: the histogram has no series.
    expect(names(await scrape(registry))).toEqual([
      "app_requests_total",
      "aiobreaker_calls_total",
      "aiobreaker_state",
      "aiobreaker_state_changes_total",
    ]);
    await later.call(() => "ok");
    expect(
      (await registry.metrics()).includes(
        'aiobreaker_calls_total{name="later",outcome="success"} 1',
      ),
    ).toBe(true);
    again.close();
  });

  it("refuses to register twice on one registry, naming the metric, and changes nothing then", async () => {
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const first = registerPrometheusMetrics({ monitor, registry });
    const before = await registry.metrics();
    expect(() => registerPrometheusMetrics({ monitor, registry })).toThrow(
      /registerPrometheusMetrics: the registry already has a metric named "aiobreaker_calls_total"/,
    );
    expect(breaker.listeners).toHaveLength(1);
    expect(await registry.metrics()).toBe(before);
    // Another prefix is another set of names.
    const other = registerPrometheusMetrics({ monitor, registry, prefix: "edge_breaker_" });
    expect(names(await scrape(registry))).toContain("edge_breaker_calls_total");
    expect(breaker.listeners).toHaveLength(2);
    other.close();
    first.close();
    const clash = new Registry();
    new Counter({ name: "aiobreaker_state", help: "someone else's", registers: [clash] });
    expect(() => registerPrometheusMetrics({ monitor, registry: clash })).toThrow(
      /metric named "aiobreaker_state"/,
    );
    expect(breaker.listeners).toEqual([]);
  });

  it("replaces the prefix, and accepts an empty one", async () => {
    new CircuitBreaker({ name: "db", monitor });
    const handle = registerPrometheusMetrics({ monitor, registry, prefix: "" });
    expect(names(await scrape(registry))).toEqual(["calls_total", "state", "state_changes_total"]);
    handle.close();
    registerPrometheusMetrics({ monitor, registry, prefix: undefined }).close();
  });

  it("registers on prom-client's global registry only when that is the one given", async () => {
    new CircuitBreaker({ name: "db", monitor });
    const handle = registerPrometheusMetrics({ monitor, registry });
    expect(globalRegistry.getSingleMetric("aiobreaker_calls_total")).toBeUndefined();
    handle.close();
    const global = registerPrometheusMetrics({ monitor, registry: globalRegistry });
    expect(await globalRegistry.metrics()).toContain(
      'aiobreaker_state{name="db",state="closed"} 1',
    );
    global.close();
    expect(globalRegistry.getSingleMetric("aiobreaker_calls_total")).toBeUndefined();
  });

  it("prints counters once suffixed in the OpenMetrics format, and still closes cleanly", async () => {
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const handle = registerPrometheusMetrics({ monitor, registry: openMetrics });
    await breaker.call(() => "ok");
    const text = await openMetrics.metrics();
    expect(text).toContain('aiobreaker_calls_total{name="db",outcome="success"} 1');
    expect(text).toContain("# TYPE aiobreaker_calls counter");
    expect(text).not.toContain("_total_total");
    expect(text).toContain('aiobreaker_call_duration_seconds_count{name="db",outcome="success"} 1');
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(() => registerPrometheusMetrics({ monitor, registry: openMetrics })).toThrow(
      /"aiobreaker_calls_total"/,
    );
    handle.close();
    expect(await openMetrics.metrics()).toBe("\n# EOF\n");
  });

  it("gives the duration histogram to every reader of the registry, not only its text output", async () => {
    const breaker = new CircuitBreaker({ name: "db", monitor });
    const handle = registerPrometheusMetrics({ monitor, registry });
    await breaker.call(() => "ok");
    await drain();
    const json = await registry.getMetricsAsJSON();
    const histogram = json.find((metric) => metric.name === "aiobreaker_call_duration_seconds");
    expect(histogram).toMatchObject({ type: "histogram", aggregator: "sum" });
    const count = histogram?.values.find(
      (value) =>
        (value as { metricName?: string }).metricName === "aiobreaker_call_duration_seconds_count",
    );
    expect(count).toMatchObject({ labels: { name: "db", outcome: "success" }, value: 1 });
    // A registry reset does not erase what the breakers report.
    registry.resetMetrics();
    const samples = await scrape(registry);
    expect(seriesOf(samples, "aiobreaker_calls_total", "db")["outcome=success"]).toBe(1);
    expect(seriesOf(samples, "aiobreaker_call_duration_seconds_count", "db")).toEqual({
      "outcome=success": 1,
    });
    handle.close();
  });

  it("refuses bad input with a TypeError or RangeError naming it", () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /registerPrometheusMetrics expects an options object .* got undefined/],
      [null, /expects an options object .* got null/],
      [[monitor], /got an array of length 1/],
      [{ registry }, /options\.monitor must be a CircuitBreakerMonitor, got undefined/],
      [
        { monitor: {}, registry },
        /options\.monitor must be a CircuitBreakerMonitor, got an object/,
      ],
      [{ monitor }, /options\.registry must be a prom-client Registry .* got undefined/],
      [{ monitor, registry: null }, /options\.registry .* got null/],
      [{ monitor, registry: { registerMetric() {} } }, /options\.registry .* got an object/],
      [{ monitor, registry: Registry }, /options\.registry .* got class Registry/],
      [{ monitor, registry: [() => undefined][0] }, /options\.registry .* got function anonymous/],
      [{ monitor, registry, prefix: null }, /options\.prefix must be a string .* got null/],
      [{ monitor, registry, prefix: 5 }, /options\.prefix must be a string .* got 5/],
      [
        { monitor, registry, prefx: "x_" },
        /unknown option "prefx" \(known: monitor, registry, prefix\)/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => registerPrometheusMetrics(options as never), String(message)).toThrow(TypeError);
      expect(() => registerPrometheusMetrics(options as never), String(message)).toThrow(message);
    }
    for (const prefix of ["1up_", "my-app_", "app:breaker_", "ünï_"]) {
      expect(() => registerPrometheusMetrics({ monitor, registry, prefix })).toThrow(RangeError);
      expect(() => registerPrometheusMetrics({ monitor, registry, prefix })).toThrow(
        `options.prefix must be letters, digits and underscores, not starting with a digit (a Prometheus metric-name prefix), got ${JSON.stringify(prefix)}`,
      );
    }
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
