/// <reference types="node" />
import { createHash, timingSafeEqual } from "node:crypto";

/** What a control request's credentials come to. */
export type ControlVerdict = "accepted" | "missing" | "wrong" | "disabled";

/**
 * Checks the bearer token of control requests. Both sides are compared as SHA-256 digests with
 * `timingSafeEqual`: equal lengths always, so neither the token's content nor its length leaks
 * through the time an answer takes.
 */
export class ControlAuth {
  readonly #digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.#digest = token === undefined ? undefined : digest(token);
  }

  /** Whether controls are on (a token was configured). */
  get enabled(): boolean {
    return this.#digest !== undefined;
  }

  /** Judges an `Authorization` header (or its absence). */
  check(authorization: string | undefined): ControlVerdict {
    if (this.#digest === undefined) return "disabled";
    const match = authorization === undefined ? null : /^Bearer +(\S+)$/i.exec(authorization);
    const presented = match?.[1];
    if (presented === undefined) return "missing";
    return timingSafeEqual(digest(presented), this.#digest) ? "accepted" : "wrong";
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
