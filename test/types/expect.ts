/** `true` when `A` and `B` are the same type, not merely assignable one way. */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given `true`: `expectType<Equal<A, B>>(true)`. */
export function expectType<T extends true>(_proof: T): void {}
