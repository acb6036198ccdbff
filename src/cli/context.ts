/** Where a command writes: `process.stdout`, `process.stderr`, or a test's collector. */
export interface CliOutput {
  write(text: string): unknown;
}

/** What a command runs with besides its arguments. */
export interface CliContext {
  /** Results: tables, JSON, the dashboard's URL. */
  readonly stdout: CliOutput;
  /** Reasons for failing, and the dashboard's outage reports: one line each. */
  readonly stderr: CliOutput;
  /** The environment (`AIOBREAKER_TOKEN`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Stops the dashboard; interrupts a one-shot command's wait for Redis. */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds between the dashboard's scans for new breakers (default 3 000). */
  readonly scanInterval?: number | undefined;
}
