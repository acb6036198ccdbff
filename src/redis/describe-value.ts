/**
 * Renders a value for an error message, short and unambiguous (strings quoted, functions
 * named, objects by constructor). The core keeps its own; the Redis entry reaches the core only
 * through its public exports, which do not include it.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "function":
      return `function ${value.name || "anonymous"}`;
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of length ${String(value.length)}`;
      const constructorName = (
        Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null
      )?.constructor?.name;
      return constructorName && constructorName !== "Object"
        ? `an instance of ${constructorName}`
        : "an object";
    }
    case "symbol":
      return value.toString();
    case "bigint":
      return `${String(value)}n`;
    default:
      return String(value);
  }
}
