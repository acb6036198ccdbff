import { Histogram, type OpenMetricsContentType, type Registry } from "prom-client";
import { CALL_DURATION_BUCKETS } from "../exporters/duration-buckets.js";

/** A prom-client registry of either exposition format. */
export type AnyRegistry = Registry | Registry<OpenMetricsContentType>;

/**
 * The durations of one breaker's calls with one outcome, bucketed as they come: a call adds to
 * three numbers here and looks up no labels (prom-client's `observe` hashes its labels on every
 * call, a cost a guarded call should not pay).
 */
export class DurationCell {
  /** Observations per bucket (not cumulative); the last slot holds those above every bound. */
  readonly counts: number[] = new Array<number>(CALL_DURATION_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;

  /** Adds one duration, in seconds. */
  observe(seconds: number): void {
    let at = 0;
    for (const bound of CALL_DURATION_BUCKETS) {
      if (seconds <= bound) break;
      at++;
    }
    this.counts[at] = (this.counts[at] as number) + 1;
    this.sum += seconds;
    this.count++;
  }
}

/** One series of the histogram: a breaker's name, an outcome and its durations. */
export type DurationSeries = readonly [name: string, outcome: string, cell: DurationCell];

type HistogramData = Awaited<ReturnType<Histogram["get"]>>;

interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A prom-client `Histogram` whose values come from {@link DurationCell}s at scrape time instead
 * of from `observe`: the registry, `Registry.merge` and cluster aggregation see an ordinary
 * histogram with labels `name` and `outcome`. Series with no observation yet are left out.
 */
export class CallDurationHistogram extends Histogram<"name" | "outcome"> {
  readonly #name: string;
  readonly #help: string;
  readonly #series: () => Iterable<DurationSeries>;

  constructor(
    name: string,
    help: string,
    registry: AnyRegistry,
    series: () => Iterable<DurationSeries>,
  ) {
    super({
      name,
      help,
      labelNames: ["name", "outcome"],
      buckets: [...CALL_DURATION_BUCKETS],
      registers: [registry],
    });
    this.#name = name;
    this.#help = help;
    this.#series = series;
  }

  override get(): Promise<HistogramData> {
    return Promise.resolve(this.#data());
  }

  /** What the registry prints from (prom-client prefers it to `get`). */
  getForPromString(): Promise<HistogramData> {
    return Promise.resolve(this.#data());
  }

  #data(): HistogramData {
    const bucket = `${this.#name}_bucket`;
    const values: Sample[] = [];
    for (const [name, outcome, cell] of this.#series()) {
      if (cell.count === 0) continue;
      let cumulative = 0;
      cell.counts.forEach((count, at) => {
        cumulative += count;
        const le = CALL_DURATION_BUCKETS[at] ?? "+Inf";
        values.push({ metricName: bucket, labels: { name, outcome, le }, value: cumulative });
      });
      values.push(
        { metricName: `${this.#name}_sum`, labels: { name, outcome }, value: cell.sum },
        { metricName: `${this.#name}_count`, labels: { name, outcome }, value: cell.count },
      );
    }
    // prom-client's typings give `type` as a numeric enum, where its code uses the string.
    return {
      name: this.#name,
      help: this.#help,
      type: "histogram",
      values,
      aggregator: "sum",
    } as unknown as HistogramData;
  }
}
