import { CircuitBreakerMonitor, describeValue } from "../index.js";

/**
 * Checks that `options` is an object with only the `known` keys and returns it as a record;
 * `fn` names the function in the messages.
 */
export function checkOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${fn} expects an options object ({ ${known.join(", ")} }), got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${fn}: unknown option ${JSON.stringify(key)} (known: ${known.join(", ")})`,
      );
    }
  }
  return options as Record<string, unknown>;
}

/** Checks `options.monitor`, which every exporter requires. */
export function checkMonitor(fn: string, monitor: unknown): CircuitBreakerMonitor {
  if (!(monitor instanceof CircuitBreakerMonitor)) {
    throw new TypeError(
      `${fn}: options.monitor must be a CircuitBreakerMonitor, got ${describeValue(monitor)}`,
    );
  }
  return monitor;
}
