/**
 * Whether Redis answers, with each outage reported once and each recovery once (no log flood,
 * however many commands fail meanwhile).
 */
export class OutageTracker {
  #online = false;
  /** Whether an outage was reported and its recovery not yet. */
  #reported = false;
  readonly #onOutage: (error: unknown) => void;
  readonly #onRecovery: () => void;

  constructor(onOutage: (error: unknown) => void, onRecovery: () => void) {
    this.#onOutage = onOutage;
    this.#onRecovery = onRecovery;
  }

  /** Whether commands go out (false before the first answer and during an outage). */
  get online(): boolean {
    return this.#online;
  }

  /** Redis failed: goes offline, reporting it if this starts an outage. */
  fail(error: unknown): void {
    this.#online = false;
    if (this.#reported) return;
    this.#reported = true;
    report(() => {
      this.#onOutage(error);
    });
  }

  /** Redis answered a resync: back online, reporting the recovery of a reported outage. */
  recover(): void {
    this.#online = true;
    if (!this.#reported) return;
    this.#reported = false;
    report(this.#onRecovery);
  }
}

/** Runs a user's callback; what it throws goes to `console.error`, never into the storage. */
function report(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    console.error("aiobreaker/redis: an onOutage or onRecovery callback threw:", error);
  }
}
