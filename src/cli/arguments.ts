import { usageError } from "./cli-error.js";
import {
  COMMAND_NAMES,
  isCommandName,
  type CommandName,
  type FleetAddress,
  type ParsedCommand,
} from "./commands.js";

/** The options each command takes; `true` for those that take a value. */
const OPTIONS: Readonly<
  Record<"status" | "operate" | "dashboard", Readonly<Record<string, boolean>>>
> = {
  status: { redis: true, prefix: true, json: false },
  operate: { redis: true, prefix: true },
  dashboard: { redis: true, prefix: true, port: true, host: true, token: true },
};

/** The storages' default prefix. */
export const DEFAULT_PREFIX = "aiobreaker";
/** Where the dashboard listens unless told. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;

/** The token's environment variable: a token on the command line shows in `ps`. */
export const TOKEN_VARIABLE = "AIOBREAKER_TOKEN";

interface Split {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
  readonly help: boolean;
}

/** Splits the words after the command into positionals and options, checking option names. */
function split(
  words: readonly string[],
  known: Readonly<Record<string, boolean>>,
  command: string,
): Split {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  let help = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === "--") {
      positionals.push(...words.slice(i + 1));
      break;
    }
    if (word === "-h" || word === "--help") {
      help = true;
      continue;
    }
    if (!word.startsWith("-") || word === "-") {
      positionals.push(word);
      continue;
    }
    if (!word.startsWith("--")) throw usageError(`unknown option ${word} for ${command}`);
    const equals = word.indexOf("=");
    const name = word.slice(2, equals === -1 ? undefined : equals);
    const takesValue = known[name];
    if (takesValue === undefined) {
      throw usageError(`unknown option --${name} for ${command}`);
    }
    if (options.has(name)) throw usageError(`--${name} is given twice`);
    if (!takesValue) {
      if (equals !== -1) throw usageError(`--${name} takes no value, got ${JSON.stringify(word)}`);
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) {
      value = word.slice(equals + 1);
    } else {
      value = words[i + 1];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) {
        throw usageError(`--${name} needs a value`);
      }
      i++;
    }
    options.set(name, value);
  }
  return { positionals, options, help };
}

function text(options: Map<string, string | true>, name: string): string | undefined {
  const value = options.get(name);
  return value === true ? undefined : value;
}

function readRedisUrl(value: string | undefined): string {
  if (value === undefined) throw usageError("--redis URL is required");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(
      `--redis must be a URL such as redis://127.0.0.1:6379, got ${JSON.stringify(value)}`,
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw usageError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readPrefix(value: string | undefined): string {
  if (value === undefined) return DEFAULT_PREFIX;
  if (value === "") throw usageError("--prefix must not be empty");
  return value;
}

function readPort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65_535)) {
    throw usageError(
      `--port must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(value)}`,
    );
  }
  return port;
}

function readHost(value: string | undefined): string {
  if (value === undefined) return DEFAULT_HOST;
  if (value === "") throw usageError("--host must not be empty");
  return value;
}

function readToken(
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const token = value ?? env[TOKEN_VARIABLE];
  if (token === undefined) return undefined;
  const source = value === undefined ? TOKEN_VARIABLE : "--token";
  // The dashboard's own rule: it travels in an Authorization header.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw usageError(`${source} must be visible ASCII characters with no spaces`);
  }
  return token;
}

function readName(value: string | undefined, command: string): string {
  if (value === undefined) throw usageError(`${command} needs a breaker name`);
  if (value === "") throw usageError("the breaker name must not be empty");
  return value;
}

function noMore(positionals: readonly string[], from: number, command: string): void {
  const extra = positionals[from];
  if (extra !== undefined)
    throw usageError(`unexpected argument ${JSON.stringify(extra)} for ${command}`);
}

/**
 * Reads a command line (the words after `aiobreaker`): every mistake is a usage error (exit
 * code 2) naming the word at fault. `env` supplies the dashboard's token when `--token` is not
 * given.
 */
export function parseArguments(
  words: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedCommand {
  const first = words[0];
  if (first === undefined) throw usageError("no command given");
  if (first === "-h" || first === "--help" || first === "help") {
    const topic = words[1];
    if (topic === undefined) return { kind: "help", command: undefined };
    if (!isCommandName(topic)) throw usageError(`unknown command ${JSON.stringify(topic)}`);
    return { kind: "help", command: topic };
  }
  if (!isCommandName(first)) {
    throw usageError(
      first.startsWith("-")
        ? `unknown option ${first} (a command comes first: ${COMMAND_NAMES.join(", ")})`
        : `unknown command ${JSON.stringify(first)} (commands: ${COMMAND_NAMES.join(", ")})`,
    );
  }
  const command: CommandName = first;
  if (command === "status") {
    const { positionals, options, help } = split(words.slice(1), OPTIONS.status, command);
    if (help) return { kind: "help", command };
    noMore(positionals, 1, command);
    const name = positionals[0];
    return {
      kind: "status",
      ...address(options),
      name: name === undefined ? undefined : readName(name, command),
      json: options.has("json"),
    };
  }
  if (command === "dashboard") {
    const { positionals, options, help } = split(words.slice(1), OPTIONS.dashboard, command);
    if (help) return { kind: "help", command };
    noMore(positionals, 0, command);
    return {
      kind: "dashboard",
      ...address(options),
      port: readPort(text(options, "port")),
      host: readHost(text(options, "host")),
      token: readToken(text(options, "token"), env),
    };
  }
  const { positionals, options, help } = split(words.slice(1), OPTIONS.operate, command);
  if (help) return { kind: "help", command };
  noMore(positionals, 1, command);
  return {
    kind: "operate",
    ...address(options),
    action: command,
    name: readName(positionals[0], command),
  };
}

function address(options: Map<string, string | true>): FleetAddress {
  return {
    redis: readRedisUrl(text(options, "redis")),
    prefix: readPrefix(text(options, "prefix")),
  };
}
