/** Samples kept: the estimate is the one measured over the shortest round trip among them. */
const SAMPLES = 8;

/**
 * The estimated difference between the Redis server's clock and the local one
 * (`server - local`), from the server time each script answers with: a reply that left at
 * `sent` and came back at `received` saw the server's clock at about the midpoint. Only the
 * local scale is ever shown to a breaker, so skew between hosts changes nothing.
 */
export class ClockOffset {
  readonly #offsets: number[] = [];
  readonly #trips: number[] = [];
  #next = 0;
  #value = 0;

  sample(sent: number, received: number, serverTime: number): void {
    const trip = Math.max(0, received - sent);
    this.#offsets[this.#next] = serverTime - (sent + trip / 2);
    this.#trips[this.#next] = trip;
    this.#next = (this.#next + 1) % SAMPLES;
    let best = 0;
    for (let i = 1; i < this.#trips.length; i++) {
      if ((this.#trips[i] as number) < (this.#trips[best] as number)) best = i;
    }
    this.#value = this.#offsets[best] as number;
  }

  toServer(local: number): number {
    return Math.round(local + this.#value);
  }

  toLocal(server: number): number {
    return server - this.#value;
  }
}
