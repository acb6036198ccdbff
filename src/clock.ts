/**
 * A source of time in epoch milliseconds. Inject one to drive a breaker from a test or a
 * simulation; the breaker reads it only when it needs the time (opening, and calls while open).
 */
export interface Clock {
  /** The time now, epoch ms; a finite number. */
  now(): number;
}

/** The wall clock, `Date.now()`. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
