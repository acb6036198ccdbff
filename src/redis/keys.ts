/**
 * Key naming. Every key of one breaker carries the same hash tag (`{name}`), so each script
 * touches one slot of a Redis Cluster, and different breakers spread over the slots.
 */

/** The Redis keys and the channel of one breaker. */
export interface BreakerKeys {
  /** The state hash, the trial leases and the shared window, in the order scripts take them. */
  readonly keys: readonly [state: string, leases: string, window: string];
  /** The pub/sub channel every change is published on. */
  readonly channel: string;
}

/**
 * Escapes a breaker name for use inside a hash tag: `%`, `{` and `}` become `%25`, `%7B` and
 * `%7D`, so the tag is exactly the name and two names never share keys.
 */
export function escapeName(name: string): string {
  return name.replace(/[%{}]/g, (char) => (char === "%" ? "%25" : char === "{" ? "%7B" : "%7D"));
}

/** The inverse of {@link escapeName}. */
export function unescapeName(escaped: string): string {
  return escaped.replace(/%(25|7B|7D)/g, (_, code: string) =>
    code === "25" ? "%" : code === "7B" ? "{" : "}",
  );
}

/** The keys of the breaker `name` under `prefix`: `prefix:{name}:s`, `:l`, `:w`, channel `:c`. */
export function breakerKeys(prefix: string, name: string): BreakerKeys {
  const base = `${prefix}:{${escapeName(name)}}`;
  return { keys: [`${base}:s`, `${base}:l`, `${base}:w`], channel: `${base}:c` };
}
