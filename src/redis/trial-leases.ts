/** A trial lease this process holds or was granted: its id in Redis ("" for a local one). */
export interface Lease {
  readonly id: string;
  /** How long it lasts from each renewal, ms. */
  readonly length: number;
  /** Local time it was granted (an unclaimed grant is given back after a while). */
  readonly grantedAt: number;
}

/**
 * This process's side of the fleet's trial leases for one breaker generation: the leases its
 * trial calls hold, grants that came back and wait for a caller to take them, a denial to
 * answer once, and the request in flight.
 */
export class TrialLeases {
  /** Taken by a trial call of the current generation. */
  held: Lease[] = [];
  /** Granted by Redis, not yet taken. */
  granted: Lease[] = [];
  /** The generation whose next acquire answers `false` once (Redis denied a request). */
  deniedIn: number | undefined;
  /** Whether a request for a lease is in flight. */
  requesting = false;
  /** Local time before which no lease is known to free up (all taken), or `-Infinity`. */
  fullUntil = -Infinity;

  /** A new generation: nothing held or granted carries over (the fleet dropped its leases). */
  reset(): void {
    this.held = [];
    this.granted = [];
    this.deniedIn = undefined;
    this.fullUntil = -Infinity;
  }

  /** Ids to renew at a resync. */
  renewable(): string[] {
    const ids: string[] = [];
    for (const lease of this.held) if (lease.id !== "") ids.push(lease.id);
    for (const lease of this.granted) ids.push(lease.id);
    return ids;
  }

  /** The longest lease held or granted (renewals use it), or `fallback`. */
  longest(fallback: number): number {
    let length = 0;
    for (const lease of this.held) length = Math.max(length, lease.length);
    for (const lease of this.granted) length = Math.max(length, lease.length);
    return length === 0 ? fallback : length;
  }

  /** Takes the grants older than `before` (given back unclaimed). */
  takeStale(before: number): Lease[] {
    const stale = this.granted.filter((lease) => lease.grantedAt < before);
    if (stale.length !== 0)
      this.granted = this.granted.filter((lease) => lease.grantedAt >= before);
    return stale;
  }
}
