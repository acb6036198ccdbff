#!/usr/bin/env node
/**
 * The `aiobreaker` command (package.json `bin`): runs {@link runCli} on the process's arguments
 * and sets the exit code. SIGINT and SIGTERM stop it cleanly once (the dashboard closes what it
 * opened); a second one ends the process as usual. It never calls `process.exit`: the process
 * ends when everything is closed.
 *
 * @module
 */
import { runCli } from "./run.js";

const controller = new AbortController();
const stop = (): void => {
  controller.abort();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.off("SIGINT", stop);
process.off("SIGTERM", stop);
