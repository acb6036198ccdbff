// The CLI's command-line reading: what each command line means, and every mistake as a usage
// error (exit code 2) naming the word at fault.
import { describe, expect, it } from "vitest";
import { parseArguments } from "../src/cli/arguments.js";
import { CliError, EXIT, oneLine } from "../src/cli/cli-error.js";
import { helpText } from "../src/cli/help.js";
import { COMMAND_NAMES } from "../src/cli/commands.js";

const url = "redis://127.0.0.1:6379";

function mistake(words: string[], env: Record<string, string> = {}): string {
  try {
    parseArguments(words, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    return (error as Error).message;
  }
  throw new Error(`${words.join(" ")} was accepted`);
}

describe("parseArguments", () => {
  it("reads each command with its defaults", () => {
    expect(parseArguments(["status", "--redis", url])).toEqual({
      kind: "status",
      redis: url,
      prefix: "aiobreaker",
      name: undefined,
      json: false,
    });
    expect(parseArguments(["status", "pay", `--redis=${url}`, "--json", "--prefix=p"])).toEqual({
      kind: "status",
      redis: url,
      prefix: "p",
      name: "pay",
      json: true,
    });
    expect(parseArguments(["force-open", "--redis", url, "--", "--odd-name"])).toEqual({
      kind: "operate",
      action: "force-open",
      redis: url,
      prefix: "aiobreaker",
      name: "--odd-name",
    });
    expect(parseArguments(["close", "-", "--redis", "rediss://user:pw@host:6380/2"])).toMatchObject(
      {
        action: "close",
        name: "-",
        redis: "rediss://user:pw@host:6380/2",
      },
    );
    expect(parseArguments(["dashboard", "--redis", url])).toEqual({
      kind: "dashboard",
      redis: url,
      prefix: "aiobreaker",
      port: 8080,
      host: "127.0.0.1",
      token: undefined,
    });
    expect(
      parseArguments(["dashboard", "--redis", url, "--port", "0", "--host", "::1", "--token", "t"]),
    ).toMatchObject({ port: 0, host: "::1", token: "t" });
  });

  it("takes the dashboard's token from AIOBREAKER_TOKEN, --token first", () => {
    const env = { AIOBREAKER_TOKEN: "from-env" };
    expect(parseArguments(["dashboard", "--redis", url], env)).toMatchObject({ token: "from-env" });
    expect(parseArguments(["dashboard", "--redis", url, "--token", "given"], env)).toMatchObject({
      token: "given",
    });
    expect(mistake(["dashboard", "--redis", url], { AIOBREAKER_TOKEN: "a b" })).toContain(
      "AIOBREAKER_TOKEN must be visible ASCII characters with no spaces",
    );
  });

  it("answers --help anywhere in a command, and help <command>", () => {
    expect(parseArguments(["--help"])).toEqual({ kind: "help", command: undefined });
    expect(parseArguments(["-h"])).toEqual({ kind: "help", command: undefined });
    expect(parseArguments(["help", "dashboard"])).toEqual({ kind: "help", command: "dashboard" });
    // No --redis needed to ask for help.
    expect(parseArguments(["open", "--help"])).toEqual({ kind: "help", command: "open" });
    expect(parseArguments(["status", "x", "-h"])).toEqual({ kind: "help", command: "status" });
    expect(parseArguments(["dashboard", "--help"])).toEqual({ kind: "help", command: "dashboard" });
    expect(mistake(["help", "nope"])).toBe('unknown command "nope" (see aiobreaker --help)');
  });

  it("names every mistake", () => {
    const cases: [string[], string][] = [
      [["--redis", url], "unknown option --redis (a command comes first: status, open"],
      [["status", "-v", "--redis", url], "unknown option -v for status"],
      [["open", "x", "--json", "--redis", url], "unknown option --json for open"],
      [["status", "--json=yes", "--redis", url], '--json takes no value, got "--json=yes"'],
      [["status", "--redis", url, "--redis", url], "--redis is given twice"],
      [["status", "--redis"], "--redis needs a value"],
      [["status", "--redis", "--json"], "--redis needs a value"],
      [
        ["status", "--redis", "not a url"],
        '--redis must be a URL such as redis://127.0.0.1:6379, got "not a url"',
      ],
      [
        ["status", "--redis", "http://host"],
        '--redis must be a redis:// or rediss:// URL, got "http://host"',
      ],
      [["status", "--redis", url, "--prefix="], "--prefix must not be empty"],
      [["status", "", "--redis", url], "the breaker name must not be empty"],
      [["status", "a", "b", "--redis", url], 'unexpected argument "b" for status'],
      [["dashboard", "extra", "--redis", url], 'unexpected argument "extra" for dashboard'],
      [
        ["dashboard", "--redis", url, "--port", "65536"],
        '--port must be a port number from 0 to 65535 (0: any free port), got "65536"',
      ],
      [
        ["dashboard", "--redis", url, "--port", "-1"],
        '--port must be a port number from 0 to 65535 (0: any free port), got "-1"',
      ],
      [["dashboard", "--redis", url, "--port=-1"], "--port must be a port number"],
      [["dashboard", "--redis", url, "--host="], "--host must not be empty"],
      [["dashboard", "--redis", url, "--token", "has space"], "--token must be visible ASCII"],
      [["enable", "--redis", url], "enable needs a breaker name"],
    ];
    for (const [words, reason] of cases) {
      expect(mistake(words), words.join(" ")).toContain(reason);
    }
  });
});

describe("the help", () => {
  it("has a page per command, each with the exit codes", () => {
    for (const command of COMMAND_NAMES) {
      const text = helpText(command);
      expect(text).toContain(
        `aiobreaker ${command === "status" || command === "dashboard" ? command : "open|close"}`,
      );
      expect(text).toContain("Exit status: 0 done; 1 failed");
      expect(text).toContain("--redis URL");
    }
    expect(helpText(undefined)).toContain("Exit status");
  });
});

describe("oneLine", () => {
  it("flattens a message, and names an error without one", () => {
    expect(oneLine(new Error("first\n  second"))).toBe("first second");
    expect(oneLine(new TypeError(""))).toBe("TypeError");
    expect(oneLine("plain")).toBe("plain");
  });
});
