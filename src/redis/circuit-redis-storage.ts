import { randomBytes } from "node:crypto";
import {
  CircuitBreakerMode,
  CircuitBreakerState,
  type CircuitBreakerStorage,
  type FailureOutcome,
  type FailureRecord,
  type SharedWindow,
  type SharedWindowRule,
  type StateChange,
  type StoredCircuitState,
  type TrialOutcome,
} from "../index.js";
import type { RedisClientLike } from "./client-types.js";
import { connect } from "./connection.js";
import { describeValue } from "../index.js";
import { FleetLink } from "./fleet-link.js";
import type { FleetState, ScriptReply } from "./fleet-state.js";
import { FleetWindow } from "./fleet-window.js";
import { breakerKeys } from "./keys.js";
import { Mirror } from "./mirror.js";
import { resolveOptions, type CircuitRedisStorageOptions } from "./options.js";
import { TrialLeases } from "./trial-leases.js";

const { CLOSED, OPEN, HALF_OPEN } = CircuitBreakerState;

/** Identifies this process in change and lease ids. */
const PROCESS_ID = `p${randomBytes(6).toString("hex")}`;

function optional(value: number | undefined): string {
  return value === undefined ? "" : String(value);
}

/**
 * A breaker state shared by every process (and every breaker) that uses the same `name` and
 * `prefix` over one Redis: one breaker for the whole fleet.
 *
 * Every method answers at once from a local mirror; the shared decisions (the trip, trial
 * leases, closing after `successThreshold`, compare-and-set of automatic changes) are made
 * atomically by Lua scripts in Redis, sent in the background, and every change reaches the
 * other processes by pub/sub. No caller ever waits for Redis: while it is unreachable, slow or
 * restarting, each process goes on as a local breaker over its mirror and merges back when it
 * answers again. See the README's "Fleet" section for the rules and bounds.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "aiobreaker";
 * import { CircuitRedisStorage } from "aiobreaker/redis";
 * import { createClient } from "redis";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const storage = new CircuitRedisStorage(client, { name: "payments" });
 * await storage.ready;
 * const breaker = new CircuitBreaker({ name: "payments", storage, failMax: 5 });
 * // ...
 * await storage.close(); // the client stays open
 * ```
 */
export class CircuitRedisStorage implements CircuitBreakerStorage {
  readonly #mirror = new Mirror();
  readonly #leases = new TrialLeases();
  readonly #link: FleetLink;
  readonly #leaseTimeout: number;
  readonly #commandTimeout: number;
  #window: FleetWindow | undefined;
  #flushQueued = false;
  #listeners: Set<() => void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #ready: Promise<void>;
  readonly #name: string;
  readonly #prefix: string;

  /**
   * @param client a connected node-redis client or cluster (5 or 6), or an ioredis `Redis` or
   * `Cluster` (5 or 6). It stays the caller's: the storage never closes or reconfigures it, and
   * leaves no listener on it; pub/sub runs on a duplicate the storage owns.
   * @param options see {@link CircuitRedisStorageOptions}; `name` is required.
   */
  constructor(client: RedisClientLike, options: CircuitRedisStorageOptions) {
    const connection =
      typeof client === "object" && (client as unknown) !== null ? connect(client) : undefined;
    if (connection === undefined) {
      throw new TypeError(
        "CircuitRedisStorage client must be a node-redis client or cluster (createClient, " +
          `createCluster) or an ioredis Redis or Cluster, got ${describeValue(client)}`,
      );
    }
    const settings = resolveOptions(options);
    this.#name = settings.name;
    this.#prefix = settings.prefix;
    this.#leaseTimeout = settings.leaseTimeout;
    this.#commandTimeout = settings.commandTimeout;
    const host = {
      mirror: this.#mirror,
      fold: (fleet: FleetState, force: boolean, fresh: boolean) => {
        this.#fold(fleet, force, fresh);
      },
      resync: () => this.#resyncArgs(),
    };
    this.#link = new FleetLink(
      host,
      connection,
      breakerKeys(settings.prefix, settings.name),
      settings,
      PROCESS_ID,
    );
    this.#ready = this.#link.start();
  }

  /**
   * Resolves once the first load from Redis is done and the storage listens to the fleet's
   * changes, or after `commandTimeout` when Redis does not answer. Never rejects: without Redis
   * the storage works as a local breaker and catches up later.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The breaker's name in Redis (its processes share it). */
  get name(): string {
    return this.#name;
  }

  /** The first part of its keys and channel. */
  get prefix(): string {
    return this.#prefix;
  }

  get state(): CircuitBreakerState {
    return this.#mirror.state;
  }

  get mode(): CircuitBreakerMode {
    return this.#mirror.mode;
  }

  get failCounter(): number {
    return this.#mirror.failCounter;
  }

  get successCounter(): number {
    return this.#mirror.successCounter;
  }

  get openedAt(): number | undefined {
    return this.#mirror.openedAt;
  }

  get openDuration(): number | undefined {
    return this.#mirror.openDuration;
  }

  get openAttempts(): number {
    return this.#mirror.openAttempts;
  }

  get generation(): number {
    return this.#mirror.generation;
  }

  /** The fleet's live trial leases as last heard (this process's own during an outage). */
  get trialCalls(): number {
    const held = this.#leases.held.length;
    return this.#link.online ? Math.max(this.#mirror.leases, held) : held;
  }

  recordFailure(failure: FailureRecord): FailureOutcome {
    const mirror = this.#mirror;
    const failCounter = ++mirror.failCounter;
    if (failure.generation !== mirror.generation) return { failCounter, tripped: false };
    const window = this.#window;
    const judging = mirror.state === CLOSED && mirror.mode === CircuitBreakerMode.ENABLED;
    const rules = window !== undefined && hasRates(window.rule);
    const tripped =
      judging &&
      ((failure.failMax !== undefined && failCounter >= failure.failMax) ||
        (rules && ratesTrip(window)));
    // Asked only for a trip seen here: an opening Redis decides alone (the fleet's count was
    // ahead) lasts the breaker's resetTimeout.
    const openDuration = tripped ? failure.openDuration() : undefined;
    const token = mirror.token;
    const change = this.#link.newId();
    if (tripped) this.#move(OPEN, failure.now, openDuration, change);
    this.#link.send(
      "record",
      [
        token,
        change,
        "1",
        optional(failure.failMax),
        optional(openDuration),
        ...this.#windowArgs(true),
      ],
      {
        change: tripped ? change : undefined,
        answered: (reply) => {
          this.#adoptWindow(reply);
        },
      },
    );
    if (tripped) this.#announce();
    return { failCounter, tripped };
  }

  resetFailCounter(): void {
    this.#mirror.failCounter = 0;
    this.#link.send("reset", [this.#mirror.token]);
  }

  recordTrialSuccess(generation: number, successThreshold: number): TrialOutcome {
    const mirror = this.#mirror;
    if (generation !== mirror.generation || mirror.state !== HALF_OPEN) {
      return { successCounter: mirror.successCounter, closed: false };
    }
    const lease = this.#leases.held.pop();
    if (mirror.leases !== 0) mirror.leases--;
    const successCounter = ++mirror.successCounter;
    const closed = successCounter >= successThreshold;
    const token = mirror.token;
    const change = this.#link.newId();
    if (closed) this.#move(CLOSED, undefined, undefined, change);
    this.#link.send("trial-success", [token, lease?.id ?? "", String(successThreshold), change], {
      change: closed ? change : undefined,
    });
    this.#announce();
    return { successCounter, closed };
  }

  setState(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    change: StateChange,
  ): boolean {
    const mirror = this.#mirror;
    const manual = change.cause === "manual";
    if (!manual && change.generation !== mirror.generation) return false;
    const token = mirror.token;
    const id = this.#link.newId();
    this.#move(state, openedAt, openDuration, id);
    // The call that found the open time over wants a trial: ask for its lease in the same step.
    const lease =
      state === HALF_OPEN && change.cause === "retry" && this.#link.online
        ? this.#link.newId()
        : "";
    if (lease !== "") this.#leases.requesting = true;
    this.#link.send(
      "set-state",
      [manual ? "" : token, id, state, optional(openDuration), lease, String(this.#leaseTimeout)],
      {
        change: id,
        manual,
        answered: (reply) => {
          if (lease === "") return;
          this.#leases.requesting = false;
          if (reply.kind === "ok" && reply.fleet?.changeId === id) {
            this.#granted(lease, this.#leaseTimeout);
          }
          this.#announce();
        },
        failed:
          lease === ""
            ? undefined
            : () => {
                this.#leases.requesting = false;
                this.#announce();
              },
      },
    );
    this.#announce();
    return true;
  }

  setMode(mode: CircuitBreakerMode): void {
    const id = this.#link.newId();
    this.#mirror.setMode(mode, id);
    this.#leases.reset();
    this.#link.send("set-mode", [id, mode], { change: id, manual: true });
    this.#announce();
  }

  restore(stored: StoredCircuitState): void {
    const id = this.#link.newId();
    const openedAtServer =
      stored.openedAt === undefined ? undefined : this.#link.offset.toServer(stored.openedAt);
    this.#mirror.restore(stored, openedAtServer, id);
    this.#leases.reset();
    if (stored.state === CLOSED) this.#window?.clear();
    this.#link.send(
      "restore",
      [
        id,
        stored.state,
        stored.mode ?? CircuitBreakerMode.ENABLED,
        String(stored.failCounter),
        String(stored.successCounter),
        optional(openedAtServer),
        optional(stored.openDuration),
        String(stored.openAttempts),
      ],
      { change: id, manual: true },
    );
    this.#announce();
  }

  acquireTrial(generation: number, limit: number, lease: number | undefined): boolean | "pending" {
    const mirror = this.#mirror;
    const leases = this.#leases;
    if (generation !== mirror.generation) return false;
    const length = lease ?? this.#leaseTimeout;
    if (!this.#link.online) {
      // No fleet to ask: this process is a local breaker with its own limit.
      if (leases.held.length >= limit) return false;
      leases.held.push({ id: "", length, grantedAt: this.#link.now() });
      return true;
    }
    const grant = leases.granted.shift();
    if (grant !== undefined) {
      leases.held.push(grant);
      return true;
    }
    if (leases.held.length >= limit) return false;
    if (leases.deniedIn === generation) {
      leases.deniedIn = undefined;
      return false;
    }
    if (leases.requesting) return "pending";
    if (mirror.leases >= limit && this.#link.now() < leases.fullUntil) return false;
    const id = this.#link.newId();
    leases.requesting = true;
    this.#link.send("acquire", [mirror.token, id, String(limit), String(length)], {
      answered: (reply) => {
        leases.requesting = false;
        if (generation !== mirror.generation) {
          if (reply.kind === "granted") this.#link.send("release", [id]);
        } else if (reply.kind === "granted") {
          this.#granted(id, length);
        } else {
          leases.deniedIn = generation;
          const expiry =
            reply.extra === undefined || reply.extra === "" ? NaN : Number(reply.extra);
          leases.fullUntil = Number.isNaN(expiry) ? -Infinity : this.#link.offset.toLocal(expiry);
        }
        this.#announce();
      },
      failed: () => {
        leases.requesting = false;
        this.#announce();
      },
    });
    return "pending";
  }

  releaseTrial(generation: number): void {
    const mirror = this.#mirror;
    if (generation !== mirror.generation) return;
    const lease = this.#leases.held.pop();
    if (lease === undefined) return;
    if (mirror.leases !== 0) mirror.leases--;
    if (lease.id !== "") this.#link.send("release", [lease.id]);
    this.#announce();
  }

  /**
   * Calls `listener` after every change a breaker may act on, made here or by any process of
   * the fleet (heard by pub/sub or a resync): a new generation, a trial lease given back, a
   * pending trial answered. Returns the function that ends the subscription.
   */
  subscribe(listener: () => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(`subscribe expects a function, got ${describeValue(listener)}`);
    }
    const entry = (): void => {
      listener();
    };
    const listeners = (this.#listeners ??= new Set());
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  }

  /**
   * The fleet's time window for `rule`: its buckets live in Redis, so rates are judged on
   * every process's calls. Failures and slow calls are sent at once, successes in a batch at
   * each resync: see the README for how stale the totals can be.
   */
  shareWindow(rule: SharedWindowRule): SharedWindow {
    const window = new FleetWindow(rule, this.#link.offset, () => {
      this.#queueFlush();
    });
    this.#window = window;
    return window;
  }

  /**
   * Ends what the storage started: its resync timer, its subscription (and the duplicated
   * pub/sub connection, when no other storage over the same client uses it), and gives back
   * the trial leases it holds. Idempotent; resolves, never rejects. The client stays open.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    for (const lease of [...this.#leases.held, ...this.#leases.granted]) {
      if (lease.id !== "") this.#link.send("release", [lease.id]);
    }
    this.#leases.reset();
    this.#closing = this.#link.close();
    return this.#closing;
  }

  #move(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    change: string,
  ): void {
    this.#mirror.move(state, openedAt, openDuration, change);
    this.#leases.reset();
    if (state === CLOSED) this.#window?.clear();
  }

  #granted(id: string, length: number): void {
    this.#leases.granted.push({ id, length, grantedAt: this.#link.now() });
  }

  #fold(fleet: FleetState, force: boolean, fresh: boolean): void {
    const before = this.#mirror.leases;
    const moved = this.#mirror.fold(fleet, this.#link.offset, force, fresh);
    if (moved) {
      this.#leases.reset();
      if (this.#mirror.state === CLOSED) this.#window?.clear();
    }
    if (moved || this.#mirror.leases < before) this.#announce();
  }

  /** The window arguments of record.lua (ARGV[7..13]). */
  #windowArgs(judge: boolean): string[] {
    const window = this.#window;
    if (window === undefined) return ["", "", "", "", "", "0", ""];
    const rule = window.rule;
    return [
      String(window.width),
      String(rule.buckets),
      String(rule.minimumCalls),
      optional(rule.failureRateThreshold),
      optional(rule.slowCallRateThreshold),
      judge ? "1" : "0",
      window.takeBatch(),
    ];
  }

  #adoptWindow(reply: ScriptReply): void {
    if (reply.extra !== undefined) this.#window?.adopt(reply.extra);
  }

  /** A failure or slow call was recorded in the window: send it (unless a failure took it). */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flushWindow(true);
    });
  }

  #flushWindow(judge: boolean): void {
    const window = this.#window;
    if (window === undefined || !window.hasPending || !this.#link.online) return;
    const change = this.#link.newId();
    this.#link.send(
      "record",
      [this.#mirror.token, change, "0", "", "", ...this.#windowArgs(judge)],
      {
        answered: (reply) => {
          this.#adoptWindow(reply);
        },
      },
    );
  }

  #resyncArgs(): { args: string[]; answered: (reply: ScriptReply) => void } {
    this.#flushWindow(false);
    for (const lease of this.#leases.takeStale(this.#link.now() - this.#commandTimeout)) {
      this.#link.send("release", [lease.id]);
    }
    const window = this.#window;
    return {
      args: [
        String(this.#leases.longest(this.#leaseTimeout)),
        this.#leases.renewable().join(";"),
        window === undefined ? "" : String(window.width),
        window === undefined ? "" : String(window.rule.buckets),
      ],
      answered: (reply) => {
        this.#adoptWindow(reply);
      },
    };
  }

  #announce(): void {
    const listeners = this.#listeners;
    if (listeners === undefined || listeners.size === 0) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function hasRates(rule: SharedWindowRule): boolean {
  return rule.failureRateThreshold !== undefined || rule.slowCallRateThreshold !== undefined;
}

/** The breaker's rate rule over the window's totals (as the core judges it). */
function ratesTrip(window: FleetWindow): boolean {
  const rule = window.rule;
  const calls = window.calls;
  if (calls === 0 || calls < rule.minimumCalls) return false;
  const failureRate = rule.failureRateThreshold;
  if (failureRate !== undefined && window.failures * 100 >= failureRate * calls) return true;
  const slowRate = rule.slowCallRateThreshold;
  return slowRate !== undefined && window.slowCalls * 100 >= slowRate * calls;
}
