// Helpers for the CLI tests: the built `aiobreaker` command run as a child process, the same
// command line run in this process (runCli), and breakers of the test's own over Redis that
// play the rest of the fleet.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "redis";
import { CircuitBreaker, type CircuitBreakerOptions } from "../src/index.js";
import { CircuitRedisStorage } from "../src/redis/index.js";
import { runCli } from "../src/cli/run.js";
import type { CliContext } from "../src/cli/context.js";

export const root = fileURLToPath(new URL("..", import.meta.url));
/** The built bin, run directly: its `#!/usr/bin/env node` line and mode bits are part of it. */
export const bin = `${root}dist/cli/main.js`;
const run = promisify(execFile);

/** Builds `dist` when a test runs without `npm test` (which builds first). */
export async function buildIfMissing(): Promise<void> {
  if (!existsSync(bin)) await run("npm", ["run", "build"], { cwd: root });
}

/** What one command line did. */
export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; a run longer than `timeout` ms is killed (and fails the test). */
export async function cli(args: readonly string[], timeout = 20_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout, env: { ...process.env } }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") {
        reject(new Error(`aiobreaker ${args.join(" ")} did not exit by itself: ${error.message}`));
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/** A collector for a command's stdout or stderr. */
export function output(): { text: string; write(chunk: string): void } {
  return {
    text: "",
    write(chunk: string) {
      this.text += chunk;
    },
  };
}

/** Runs a command line in this process (what the built CLI runs), collecting its output. */
export async function inProcess(
  args: readonly string[],
  extra: Partial<CliContext> = {},
): Promise<Outcome> {
  const stdout = output();
  const stderr = output();
  const code = await runCli(args, { stdout, stderr, env: {}, ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Both ways to run a command line, for `describe.each`. */
export const runners = [
  ["the built CLI (a child process)", (args: readonly string[]) => cli(args), true],
  ["runCli (in this process)", (args: readonly string[]) => inProcess(args), false],
] as const;

/** Another member of the fleet: a breaker over its own client and storage. */
export interface Member {
  readonly breaker: CircuitBreaker;
  readonly storage: CircuitRedisStorage;
  close(): Promise<void>;
}

/** A member of the fleet at `url` for the breaker `name`, its storage loaded. */
export async function member(
  url: string,
  name: string,
  prefix: string,
  options: Partial<CircuitBreakerOptions> = {},
): Promise<Member> {
  const client = createClient({ url });
  client.on("error", () => undefined);
  await client.connect();
  // The outages these tests make are the dashboard's to report, not this member's.
  const storage = new CircuitRedisStorage(client, {
    name,
    prefix,
    onOutage: () => undefined,
    onRecovery: () => undefined,
  });
  await storage.ready;
  const breaker = new CircuitBreaker({ name, storage, ...options });
  return {
    breaker,
    storage,
    close: async () => {
      await storage.close();
      client.destroy();
    },
  };
}

/** Fails `breaker` `times` times. */
export async function fail(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await breaker
      .call(() => {
        throw new Error("down");
      })
      .catch(() => undefined);
  }
}

/** A long-running command (the dashboard) as a child process, its output collected. */
export interface Running {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves the exit code once it exits. */
  readonly exited: Promise<number | null>;
}

/** Starts the built CLI without waiting for it. */
export function start(args: readonly string[]): Running {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const running: Running = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => {
      child.once("exit", (code) => {
        resolve(code);
      });
    }),
  };
  child.stdout.on("data", (chunk: Buffer) => (running.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (running.stderr += chunk.toString()));
  return running;
}

/** Waits (polling every 20 ms, at most `timeout` ms) until `check` answers something. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeout = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
