/**
 * Where `aiobreaker/redis` keeps a breaker, as the CLI reads it without going through a storage
 * (so that `status` never writes). It follows the storage's layout (`src/redis/keys.ts` and
 * `src/redis/scripts/lib.lua`): every key of a breaker is `prefix:{name}:<kind>`, with `%`, `{`
 * and `}` in the name escaped as `%25`, `%7B` and `%7D`; `:s` is the state hash and `:l` the
 * trial leases (a sorted set scored by expiry, server ms). The CLI's tests run it against real
 * storages, so a change of layout there fails them.
 */

function escapeName(name: string): string {
  return name.replace(/[%{}]/g, (char) => (char === "%" ? "%25" : char === "{" ? "%7B" : "%7D"));
}

function unescapeName(escaped: string): string {
  return escaped.replace(/%(25|7B|7D)/g, (_, code: string) =>
    code === "25" ? "%" : code === "7B" ? "{" : "}",
  );
}

/** The state hash of the breaker `name` under `prefix`. */
export function stateKey(prefix: string, name: string): string {
  return `${prefix}:{${escapeName(name)}}:s`;
}

/** The trial leases of the breaker `name` under `prefix`. */
export function leasesKey(prefix: string, name: string): string {
  return `${prefix}:{${escapeName(name)}}:l`;
}

/** The `SCAN ... MATCH` pattern of every state hash under `prefix` (glob characters escaped). */
export function statePattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:{*}:s`;
}

/**
 * The breaker name of a key `SCAN` found with {@link statePattern}, or `undefined` for a key
 * that only looks like one (a longer prefix, braces the storage would have escaped).
 */
export function nameOfStateKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}:{`;
  if (!key.startsWith(head) || !key.endsWith("}:s")) return undefined;
  const escaped = key.slice(head.length, -3);
  if (escaped === "" || /[{}]/.test(escaped)) return undefined;
  return unescapeName(escaped);
}
