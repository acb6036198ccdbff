import type { BreakerCore } from "./breaker-core.js";
import { callOptionsOf, runControlled, runTimed } from "./controlled-call.js";
import type { Fallback } from "./options.js";

type AnyFunction = (...args: never[]) => unknown;

/**
 * A whole guarded call off the shortest path: catches up with the storage, then takes the lean
 * timed path, the controlled path (options, fallback, queue, slow-call clock) or the plain one.
 */
export function runGuarded(
  core: BreakerCore,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
  fallback: Fallback | undefined,
): Promise<unknown> {
  let epoch = core.epoch;
  // The path depends on the state: a storage another breaker changed must be caught up with.
  if (epoch?.generation !== core.storage.generation) epoch = core.sync();
  const settings = core.settings;
  const hasOptions = args.length !== 0 && callOptionsOf(args) !== undefined;
  if (epoch.timed && fallback === undefined && !hasOptions) {
    return runTimed(core, epoch, fn, thisArg, args, settings.callTimeout);
  }
  if (
    settings.controlled ||
    fallback !== undefined ||
    hasOptions ||
    ((settings.halfOpenTimeout !== undefined || settings.halfOpenQueueSize !== 0) && !epoch.direct)
  ) {
    return runControlled(core, fn, thisArg, args, fallback);
  }
  if (!epoch.direct) {
    const admitted = core.admitReported();
    if (admitted instanceof Error) return Promise.reject(admitted);
    epoch = admitted;
  }
  if (core.listeners.hasBeforeCall) core.listeners.beforeCall(core.breaker, fn, args);
  let result: unknown;
  try {
    result = Reflect.apply(fn, thisArg, args);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
    return Promise.reject(core.settleFailure(epoch, error, false));
  }
  return core.settleValue(epoch, result);
}
