import { CircuitBreaker, CircuitBreakerMonitor } from "../index.js";
import { CircuitRedisStorage } from "../redis/index.js";
import { oneLine } from "./cli-error.js";
import type { RedisConnection } from "./redis-connection.js";
import { scanBreakerNames } from "./stored-breakers.js";

/** The most breakers one dashboard follows: each costs a storage and a command a second. */
export const MAX_FLEET_BREAKERS = 1_000;

/**
 * A monitor holding a breaker over a `CircuitRedisStorage` for every breaker under a prefix,
 * kept up to date by a `SCAN` every few seconds (breakers that appear are added). Its breakers
 * are members of the fleet: a control on one reaches every process, and like every member it
 * writes the state back to a Redis that lost it, so a breaker, once seen, stays.
 */
export class FleetMonitor {
  /** The breakers, for `createDashboard`. */
  readonly monitor = new CircuitBreakerMonitor();
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #report: (line: string) => void;
  readonly #storages = new Map<string, CircuitRedisStorage>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<void> | undefined;
  #closed = false;
  /** Whether Redis is known down (an outage is reported once, and so is the recovery). */
  #down = false;
  #capped = false;

  /** `report` gets one line per outage, recovery and fault; the dashboard prints it. */
  constructor(connection: RedisConnection, prefix: string, report: (line: string) => void) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#report = report;
  }

  /** How many breakers it follows. */
  get size(): number {
    return this.#storages.size;
  }

  /**
   * Scans for breakers and adds those it does not follow yet (each once its storage has loaded
   * the fleet's state). Rejects when the scan fails; one refresh runs at a time.
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#scan().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Refreshes every `interval` ms until {@link close}; a failed scan is reported as an outage. */
  start(interval: number): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      void this.refresh()
        .then(
          () => {
            this.#recovered();
          },
          (error: unknown) => {
            this.#outage(error);
          },
        )
        .finally(() => {
          this.#timer = undefined;
          this.start(interval);
        });
    }, interval);
  }

  /** Stops the scans and closes every storage (the connection stays the caller's). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#refreshing?.catch(() => undefined);
    const storages = [...this.#storages.values()];
    this.#storages.clear();
    await Promise.all(storages.map((storage) => storage.close()));
  }

  async #scan(): Promise<void> {
    const names = await scanBreakerNames(this.#connection, this.#prefix);
    const fresh = names.filter((name) => !this.#storages.has(name));
    const room = MAX_FLEET_BREAKERS - this.#storages.size;
    if (fresh.length > room && !this.#capped) {
      this.#capped = true;
      this.#report(
        `more than ${String(MAX_FLEET_BREAKERS)} breakers under prefix ${JSON.stringify(this.#prefix)}: following the first ${String(MAX_FLEET_BREAKERS)}`,
      );
    }
    await Promise.all(fresh.slice(0, Math.max(room, 0)).map((name) => this.#add(name)));
  }

  async #add(name: string): Promise<void> {
    const storage = new CircuitRedisStorage(this.#connection.client, {
      name,
      prefix: this.#prefix,
      onOutage: (error) => {
        this.#outage(error);
      },
      onRecovery: () => {
        this.#recovered();
      },
    });
    this.#storages.set(name, storage);
    await storage.ready;
    if (this.#closed) return;
    new CircuitBreaker({
      name,
      storage,
      monitor: this.monitor,
      onListenerError: (error, source) => {
        this.#report(`${name}: ${source}: ${oneLine(error)}`);
      },
    });
  }

  #outage(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#report(
      `Redis at ${this.#connection.url} unreachable (${oneLine(error)}); showing the last state heard`,
    );
  }

  #recovered(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#report(`Redis at ${this.#connection.url} reachable again`);
  }
}
