/** Exit codes of the `aiobreaker` command. */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** It could not: Redis unreachable or too slow, an unknown breaker, a change that did not hold. */
  FAILED: 1,
  /** The command line is wrong: an unknown command or option, a missing or bad value. */
  USAGE: 2,
  /** Interrupted (SIGINT or SIGTERM) before a one-shot command finished. */
  INTERRUPTED: 130,
} as const;

/**
 * An error the CLI reports as one line on stderr, with the exit code it ends with: the only
 * kind of error a command lets out on purpose (anything else is reported as unexpected).
 */
export class CliError extends Error {
  /** The process's exit code for it (see {@link EXIT}). */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.FAILED) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** A command-line mistake: reported with a pointer to `--help`, exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(`${message} (see aiobreaker --help)`, EXIT.USAGE);
}

/** The message of any thrown value, on one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return flat === "" && error instanceof Error ? error.name : flat;
}
