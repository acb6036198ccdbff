import { describeValue } from "./describe.js";
import { isThenable } from "./thenable.js";

/** An error class to exclude (subclasses match too). */
export type ExcludedErrorClass = abstract new (...args: never[]) => Error;
/** A predicate that returns `true` for an error the breaker should not count as a failure. */
export type ExcludePredicate = (error: unknown) => boolean;
/** An entry of `exclude`: an error class (`Error` or a subclass) or any other function, a predicate. */
export type ExcludedException = ExcludedErrorClass | ExcludePredicate;

function isAsyncFunction(entry: ExcludedException): boolean {
  const tag = Object.prototype.toString.call(entry);
  return tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]";
}

function isErrorClass(entry: ExcludedException): entry is ExcludedErrorClass {
  return entry === Error || (entry.prototype as unknown) instanceof Error;
}

/**
 * The errors a breaker does not count as failures. Such an error counts as a success (as in
 * aiobreaker) and still reaches the caller.
 */
export class ExclusionList {
  /** Made at the first entry: most breakers exclude nothing. */
  #entries: ExcludedException[] | undefined;
  readonly #reporter: { report(error: unknown, source: "exclude"): void };

  /** @param reporter where a predicate's own error goes, as source `"exclude"` */
  constructor(reporter: { report(error: unknown, source: "exclude"): void }) {
    this.#reporter = reporter;
  }

  #onPredicateError(error: unknown): void {
    this.#reporter.report(error, "exclude");
  }

  get entries(): readonly ExcludedException[] {
    return this.#entries?.slice() ?? [];
  }

  get size(): number {
    return this.#entries?.length ?? 0;
  }

  add(entry: ExcludedException): void {
    if (typeof entry !== "function") {
      throw new TypeError(
        `an exclude entry must be an error class or a predicate function, got ${describeValue(entry)}`,
      );
    }
    // A promise is truthy: an async predicate would exclude every error.
    if (isAsyncFunction(entry)) {
      throw new TypeError(
        `an exclude predicate must answer synchronously, got the async function ${describeValue(entry)}`,
      );
    }
    (this.#entries ??= []).push(entry);
  }

  remove(entry: ExcludedException): boolean {
    const entries = this.#entries;
    const at = entries?.indexOf(entry) ?? -1;
    if (entries === undefined || at === -1) return false;
    entries.splice(at, 1);
    return true;
  }

  /**
   * Whether `error` is excluded. A predicate (or a class's `Symbol.hasInstance`) that throws, or
   * a predicate that answers with a promise, excludes nothing (the error counts as a failure, the
   * safe side); what went wrong goes to `onPredicateError`.
   */
  excludes(error: unknown): boolean {
    for (const entry of this.#entries ?? []) {
      try {
        // `instanceof` runs the class's own Symbol.hasInstance, which may throw like a predicate.
        if (isErrorClass(entry)) {
          if (error instanceof entry) return true;
          continue;
        }
        const verdict: unknown = entry(error);
        if (isThenable(verdict)) {
          this.#asyncVerdict(entry, verdict);
          continue;
        }
        if (verdict) return true;
      } catch (predicateError) {
        this.#onPredicateError(predicateError);
      }
    }
    return false;
  }

  /** A predicate answered with a promise (a truthy value, so it would exclude everything). */
  #asyncVerdict(entry: ExcludedException, verdict: PromiseLike<unknown>): void {
    this.#onPredicateError(
      new TypeError(
        `an exclude predicate must answer synchronously; ${describeValue(entry)} returned a promise, so the error counts as a failure`,
      ),
    );
    verdict.then(undefined, (predicateError: unknown) => {
      this.#onPredicateError(predicateError);
    });
  }
}
