import { CircuitBreakerMode, CircuitBreakerState, type StoredCircuitState } from "../index.js";
import type { ClockOffset } from "./clock-offset.js";
import type { FleetState } from "./fleet-state.js";

/**
 * This process's copy of one breaker's fleet state: what every contract method answers from,
 * at once. Local writes apply here first (optimistically); the fleet's answers and other
 * processes' messages are folded in, and `generation` (the one breakers see) moves whenever
 * the state, the mode or an opening's times change, whoever changed them.
 */
export class Mirror {
  state: CircuitBreakerState = CircuitBreakerState.CLOSED;
  mode: CircuitBreakerMode = CircuitBreakerMode.ENABLED;
  failCounter = 0;
  successCounter = 0;
  /** Local clock scale. */
  openedAt: number | undefined;
  openDuration: number | undefined;
  openAttempts = 0;
  /** The generation breakers see: a local counter. */
  generation = 0;

  /** The last fleet state folded in (its version, generation and change id). */
  version = -1;
  fleetGeneration = 0;
  changeId = "";
  /** `openedAt` on the server's clock, once the fleet told it. */
  openedAtServer: number | undefined;
  /** Live trial leases, fleet-wide, as last heard. */
  leases = 0;
  /** The id of this process's last change of generation (to recognise its own echo). */
  ownChange = "";
  /** The id of a local change of generation whose answer has not come yet. */
  pendingChange: string | undefined;

  /** What a script decided on this mirror's view is checked against (see lib.lua `is_current`). */
  get token(): string {
    return (
      this.pendingChange ?? (this.changeId === "" ? String(this.fleetGeneration) : this.changeId)
    );
  }

  /** A local change of state by `change` (a new id), following the storage contract's rules. */
  move(
    state: CircuitBreakerState,
    openedAt: number | undefined,
    openDuration: number | undefined,
    change: string,
  ): void {
    this.#newGeneration(change);
    this.successCounter = 0;
    if (state === CircuitBreakerState.CLOSED) {
      this.failCounter = 0;
      this.openedAt = undefined;
      this.openedAtServer = undefined;
      this.openDuration = undefined;
      this.openAttempts = 0;
    } else if (state === CircuitBreakerState.OPEN) {
      this.openedAt = openedAt;
      this.openedAtServer = undefined;
      this.openDuration = openDuration;
      this.openAttempts++;
    }
    this.state = state;
  }

  setMode(mode: CircuitBreakerMode, change: string): void {
    this.#newGeneration(change);
    this.mode = mode;
  }

  /** `openedAtServer` is the opening's time as sent to the fleet. */
  restore(stored: StoredCircuitState, openedAtServer: number | undefined, change: string): void {
    this.#newGeneration(change);
    this.state = stored.state;
    this.mode = stored.mode ?? CircuitBreakerMode.ENABLED;
    this.failCounter = stored.failCounter;
    this.successCounter = stored.successCounter;
    this.openedAt = stored.openedAt;
    this.openedAtServer = openedAtServer;
    this.openDuration = stored.openDuration;
    this.openAttempts = stored.openAttempts;
  }

  #newGeneration(change: string): void {
    this.generation++;
    this.leases = 0;
    this.ownChange = change;
  }

  /**
   * Folds in a fleet state. An older one (lower version) is ignored unless `force` (a resync
   * that settled a merge); the same version again only updates the live leases of a `fresh`
   * read (leases expire without a new version). Returns whether breakers must hear of it: the
   * generation moved.
   */
  fold(fleet: FleetState, offset: ClockOffset, force: boolean, fresh = false): boolean {
    if (fleet.version < this.version && !force) return false;
    if (fleet.version === this.version && !force) {
      if (fresh) this.leases = fleet.leases;
      return false;
    }
    const own = fleet.changeId !== "" && fleet.changeId === this.ownChange;
    let openedAt: number | undefined;
    if (fleet.openedAt === undefined) openedAt = undefined;
    else if (fleet.openedAt === this.openedAtServer) openedAt = this.openedAt;
    else if (own && this.openedAtServer === undefined && this.state === fleet.state) {
      // This process's own opening, stamped by the server: keep the time it gave its breakers.
      openedAt = this.openedAt;
    } else openedAt = offset.toLocal(fleet.openedAt);
    const newFleetGeneration =
      fleet.generation !== this.fleetGeneration || fleet.changeId !== this.changeId;
    const visible =
      fleet.state !== this.state ||
      fleet.mode !== this.mode ||
      openedAt !== this.openedAt ||
      fleet.openDuration !== this.openDuration ||
      fleet.openAttempts !== this.openAttempts;
    this.state = fleet.state;
    this.mode = fleet.mode;
    this.failCounter = fleet.failCounter;
    this.successCounter = fleet.successCounter;
    this.openedAt = openedAt;
    this.openedAtServer = fleet.openedAt;
    this.openDuration = fleet.openDuration;
    this.openAttempts = fleet.openAttempts;
    this.version = fleet.version;
    this.fleetGeneration = fleet.generation;
    this.changeId = fleet.changeId;
    this.leases = fleet.leases;
    const moved = visible || (newFleetGeneration && !own);
    if (moved) this.generation++;
    return moved;
  }

  /** The mirror as plain data (for a write-back). */
  snapshot(): StoredCircuitState {
    return {
      state: this.state,
      mode: this.mode,
      failCounter: this.failCounter,
      successCounter: this.successCounter,
      openedAt: this.openedAt,
      openDuration: this.openDuration,
      openAttempts: this.openAttempts,
    };
  }
}
