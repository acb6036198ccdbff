/**
 * Renders any value for an error message, short and unambiguous: strings are quoted, functions
 * and classes are named, objects show their constructor.
 */
export function describeValue(value: unknown): string {
  try {
    return describe(value);
  } catch {
    // A Proxy whose traps throw, a revoked one: it still gets a name in the message.
    return `a value that cannot be inspected (${typeof value})`;
  }
}

function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${String(value)}n`;
    case "symbol":
      return value.toString();
    case "function": {
      const name = value.name || "anonymous";
      return /^class\b/.test(Function.prototype.toString.call(value))
        ? `class ${name}`
        : `function ${name}`;
    }
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
    default:
      return String(value);
  }
}
