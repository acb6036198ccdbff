import { CircuitBreakerMonitor } from "../index.js";

/** Renders a bad value for an error message: strings quoted, objects by their constructor. */
export function describeGiven(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "anonymous"}`;
  if (typeof value !== "object" || value === null) return String(value);
  if (Array.isArray(value)) return `an array of length ${String(value.length)}`;
  const constructorName = (
    Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null
  )?.constructor?.name;
  return typeof constructorName === "string" && constructorName !== "Object"
    ? `an instance of ${constructorName}`
    : "an object";
}

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
      `${fn} expects an options object ({ ${known.join(", ")} }), got ${describeGiven(options)}`,
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
      `${fn}: options.monitor must be a CircuitBreakerMonitor, got ${describeGiven(monitor)}`,
    );
  }
  return monitor;
}
