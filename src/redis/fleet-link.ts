import { ClockOffset } from "./clock-offset.js";
import { withTimeout } from "./command-timeout.js";
import type { RedisConnection } from "./connection.js";
import { parseFleetState, parseReply, type FleetState, type ScriptReply } from "./fleet-state.js";
import type { BreakerKeys } from "./keys.js";
import type { Mirror } from "./mirror.js";
import type { RedisStorageSettings } from "./options.js";
import { OutageTracker } from "./outage.js";
import { runScript, script, type ScriptName } from "./scripts.js";
import { hubFor, type HubListener } from "./subscriber-hub.js";

/** What the link asks of the storage it serves. */
export interface LinkHost {
  readonly mirror: Mirror;
  /** Folds a fleet state into the mirror and acts on it (announces, drops old leases). */
  fold(fleet: FleetState, force: boolean, fresh: boolean): void;
  /** The arguments of the next resync after the mirror's, and what to do with its answer. */
  resync(): { readonly args: string[]; readonly answered: (reply: ScriptReply) => void };
}

/** Numbers the ids this process makes, across all its storages. */
let sequence = 0;

/** How a sent command's answer is handled. */
export interface SendOptions {
  /** The id of the local change of generation this command carries, if any. */
  readonly change?: string | undefined;
  /** Called with the reply after its state was folded in (not for a missing state). */
  readonly answered?: ((reply: ScriptReply) => void) | undefined;
  /** Called when the command failed or timed out (the outage is already recorded). */
  readonly failed?: (() => void) | undefined;
  /** Whether the change is an operator's (the merge rule favours the latest of those). */
  readonly manual?: boolean | undefined;
}

/**
 * The storage's background side: sends commands (never from a caller's promise), folds their
 * answers, listens to the breaker's channel, resyncs every `resyncInterval`, and tracks
 * outages, with the bookkeeping of changes made while Redis was unreachable.
 */
export class FleetLink implements HubListener {
  readonly offset = new ClockOffset();
  readonly #host: LinkHost;
  readonly #connection: RedisConnection;
  readonly #keys: BreakerKeys;
  readonly #settings: RedisStorageSettings;
  readonly #outage: OutageTracker;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #processId: string;
  /** The scripts the server is known to hold (sent once by source). */
  readonly #known = new Set<ScriptName>();
  #tick: ReturnType<typeof setTimeout> | undefined;
  #syncing = false;
  #closed = false;
  /** A fleet state heard while a local change was in flight, folded when it is answered. */
  #deferred: FleetState | undefined;
  /** Offline bookkeeping: changes made while commands could not go out. */
  #dirty = false;
  #dirtySerial = 0;
  #dirtyBase = 0;
  #dirtySince = 0;
  #manualAt = 0;
  /** Server-scale time the current outage began (when this process noticed it). */
  #lostAt: number | undefined;

  constructor(
    host: LinkHost,
    connection: RedisConnection,
    keys: BreakerKeys,
    settings: RedisStorageSettings,
    processId: string,
  ) {
    this.#host = host;
    this.#connection = connection;
    this.#keys = keys;
    this.#settings = settings;
    this.#processId = processId;
    this.#outage = new OutageTracker(settings.onOutage, settings.onRecovery);
  }

  /**
   * Subscribes, runs the first resync and starts the resync timer; resolves when the first two
   * are done (or `commandTimeout` passed), never rejects.
   */
  async start(): Promise<void> {
    const subscribed = hubFor(this.#connection).join(this.#keys.channel, this);
    const synced = this.#sync();
    this.#schedule();
    await Promise.all([this.#bounded(subscribed), synced]);
  }

  /** Whether commands go out now. */
  get online(): boolean {
    return this.#outage.online && !this.#closed;
  }

  /** A new id, unique across the fleet (a change or a lease). */
  newId(): string {
    return `${this.#processId}.${String(++sequence)}`;
  }

  /** The local clock. */
  now(): number {
    return this.#settings.clock.now();
  }

  /**
   * Records a change made while nothing could be sent (an outage, or before the first answer):
   * a resync merges it into the fleet when Redis answers (see sync.lua).
   */
  markDirty(manual: boolean): void {
    if (!this.#dirty) {
      this.#dirty = true;
      this.#dirtyBase = this.#host.mirror.fleetGeneration;
      this.#dirtySince = this.#lostAt ?? this.offset.toServer(this.now());
    }
    this.#dirtySerial++;
    if (manual) this.#manualAt = this.offset.toServer(this.now());
  }

  /**
   * Sends a script in the background. While offline, or with a client that would only queue it,
   * nothing is sent: the change stays in the mirror and is merged at recovery.
   */
  send(name: ScriptName, args: readonly string[], options: SendOptions = {}): void {
    if (!this.online || !this.#connection.ready) {
      if (this.online) this.#fail(new Error("the Redis client is not ready"));
      this.markDirty(options.manual === true);
      options.failed?.();
      return;
    }
    if (options.change !== undefined) this.#host.mirror.pendingChange = options.change;
    this.#run(name, args).then(
      (reply) => {
        const mirror = this.#host.mirror;
        const settles = options.change !== undefined && options.change === mirror.pendingChange;
        if (settles) mirror.pendingChange = undefined;
        if (reply.fleet === undefined) {
          // The state is gone (a restart, a flush): write the mirror back at once.
          this.markDirty(options.manual === true);
          this.resyncSoon();
          options.failed?.();
          return;
        }
        this.#heard(reply.fleet);
        options.answered?.(reply);
      },
      (error: unknown) => {
        const mirror = this.#host.mirror;
        if (options.change !== undefined && options.change === mirror.pendingChange) {
          mirror.pendingChange = undefined;
        }
        if (this.#closed) return;
        this.#fail(error);
        this.markDirty(options.manual === true);
        options.failed?.();
      },
    );
  }

  /** A message on the breaker's channel: another process's change, or this one's echo. */
  message(message: string): void {
    let fleet: FleetState;
    try {
      fleet = parseFleetState(message);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#heard(fleet);
  }

  /** The pub/sub connection failed. */
  error(error: unknown): void {
    this.#fail(error);
  }

  /** Runs a resync now (instead of at the next tick). */
  resyncSoon(): void {
    queueMicrotask(() => {
      void this.#sync();
    });
  }

  /** Called once (the storage keeps its closing promise). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#tick !== undefined) clearTimeout(this.#tick);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    hubFor(this.#connection).leave(this.#keys.channel, this);
    await Promise.resolve();
  }

  /** Read through a call: a close may come while a command is on its way. */
  #isClosed(): boolean {
    return this.#closed;
  }

  #heard(fleet: FleetState): void {
    // Changes made offline are merged by a resync (see sync.lua), never overwritten by an echo.
    if (this.#dirty) return;
    const mirror = this.#host.mirror;
    if (mirror.pendingChange !== undefined) {
      // A local change is on its way: fold the newest state once its answer is in.
      if (this.#deferred === undefined || fleet.version > this.#deferred.version) {
        this.#deferred = fleet;
      }
      return;
    }
    const deferred = this.#deferred;
    this.#deferred = undefined;
    if (deferred !== undefined && deferred.version > fleet.version) {
      this.#host.fold(fleet, false, false);
      this.#host.fold(deferred, false, false);
    } else {
      this.#host.fold(fleet, false, false);
    }
  }

  #fail(error: unknown): void {
    if (this.#outage.online) this.#lostAt = this.offset.toServer(this.now());
    this.#outage.fail(error);
    this.#host.mirror.pendingChange = undefined;
  }

  /** Runs a script, racing `commandTimeout`; samples the clock offset from its answer. */
  async #run(name: ScriptName, args: readonly string[]): Promise<ScriptReply> {
    const sent = this.now();
    let abandoned = false;
    const command = runScript(
      this.#connection,
      script(name),
      this.#keys.keys,
      [this.#keys.channel, ...args],
      this.#known,
      () => abandoned,
    );
    try {
      const raw = await withTimeout(command, this.#settings.commandTimeout, name, this.#timers);
      const reply = parseReply(raw);
      this.offset.sample(sent, this.now(), reply.serverTime);
      return reply;
    } catch (error) {
      abandoned = true;
      // A timed-out command may still settle: its outcome is of no interest any more.
      command.catch(() => undefined);
      throw error;
    }
  }

  /**
   * Bounds the subscription's wait for `ready` by `commandTimeout`: the subscription goes on in
   * the background (the hub reports its failures), and `ready` never rejects.
   */
  async #bounded(subscribed: Promise<void>): Promise<void> {
    await withTimeout(subscribed, this.#settings.commandTimeout, "SUBSCRIBE", this.#timers).catch(
      () => undefined,
    );
  }

  #schedule(): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#tick = undefined;
      void this.#sync().finally(() => {
        this.#schedule();
      });
    }, this.#settings.resyncInterval);
    // An open storage alone does not keep a process alive (its client does, if anything).
    if (typeof timer === "object" && "unref" in timer) timer.unref();
    this.#tick = timer;
  }

  /** One resync (see sync.lua): at most one in flight, so a stalled server gets no pile-up. */
  async #sync(): Promise<void> {
    if (this.#syncing || this.#closed) return;
    if (!this.#connection.ready) {
      this.#fail(new Error("the Redis client is not ready"));
      return;
    }
    this.#syncing = true;
    const mirror = this.#host.mirror;
    const dirty = this.#dirty;
    const serial = this.#dirtySerial;
    const { args, answered } = this.#host.resync();
    const snapshot = mirror.snapshot();
    const mode = dirty ? "2" : "1";
    try {
      const reply = await this.#run("sync", [
        this.newId(),
        mode,
        String(Math.max(mirror.version, 0)),
        String(mirror.fleetGeneration),
        mirror.changeId,
        snapshot.state,
        mirror.mode,
        String(snapshot.failCounter),
        String(snapshot.successCounter),
        serverTime(mirror.openedAtServer, snapshot.openedAt, this.offset),
        snapshot.openDuration === undefined ? "" : String(snapshot.openDuration),
        String(snapshot.openAttempts),
        String(this.#dirtyBase),
        String(this.#dirtySince),
        String(this.#manualAt),
        ...args,
      ]);
      if (this.#isClosed()) return;
      // sync.lua writes a missing state back, so it always answers one.
      const fleet = reply.fleet as FleetState;
      this.#lostAt = undefined;
      this.#outage.recover();
      if (this.#dirtySerial !== serial) {
        // Changed again while this was on its way: the mirror holds newer changes than the
        // answer; merge them in the next round.
        this.resyncSoon();
      } else {
        this.#dirty = false;
        this.#manualAt = 0;
        mirror.pendingChange = undefined;
        this.#deferred = undefined;
        this.#host.fold(fleet, dirty || reply.kind === "wrote", true);
      }
      answered(reply);
    } catch (error) {
      if (!this.#isClosed()) this.#fail(error);
    } finally {
      this.#syncing = false;
    }
  }
}

function serverTime(
  server: number | undefined,
  local: number | undefined,
  offset: ClockOffset,
): string {
  if (server !== undefined) return String(server);
  return local === undefined ? "" : String(offset.toServer(local));
}
