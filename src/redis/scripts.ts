import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RedisConnection } from "./connection.js";

/** The scripts in `scripts/` (each starts with `lib.lua` at load time). */
export type ScriptName =
  | "acquire"
  | "record"
  | "release"
  | "reset"
  | "restore"
  | "set-mode"
  | "set-state"
  | "sync"
  | "trial-success";

/** A script's full source and its SHA1, as `EVALSHA` names it. */
export interface RedisScript {
  readonly name: ScriptName;
  readonly source: string;
  readonly sha: string;
}

const loaded = new Map<ScriptName, RedisScript>();

function readScript(file: string): string {
  return readFileSync(new URL(`./scripts/${file}.lua`, import.meta.url), "utf8");
}

/** The script `name`, read from the package on first use. */
export function script(name: ScriptName): RedisScript {
  let found = loaded.get(name);
  if (found === undefined) {
    const source = `${readScript("lib")}\n${readScript(name)}`;
    found = { name, source, sha: createHash("sha1").update(source).digest("hex") };
    loaded.set(name, found);
  }
  return found;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Runs `script`: by its source (`EVAL`, which also caches it on the server) until `known` says
 * the server has it, then by its SHA. Sending the source first rather than waiting for a
 * `NOSCRIPT` keeps one storage's commands in the order they were sent. A `NOSCRIPT` still
 * happens after a restart or a flush: `known` is emptied and the source re-sent, unless
 * `abandoned()` says the caller stopped waiting (a command that timed out must not land later).
 */
export async function runScript(
  connection: RedisConnection,
  target: RedisScript,
  keys: readonly string[],
  args: readonly string[],
  known: Set<ScriptName>,
  abandoned: () => boolean,
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  const key = keys[0] as string;
  if (!known.has(target.name)) {
    const reply = await connection.send(key, ["EVAL", target.source, ...tail]);
    known.add(target.name);
    return reply;
  }
  try {
    return await connection.send(key, ["EVALSHA", target.sha, ...tail]);
  } catch (error) {
    if (!isNoScript(error) || abandoned()) throw error;
    known.clear();
    const reply = await connection.send(key, ["EVAL", target.source, ...tail]);
    known.add(target.name);
    return reply;
  }
}
