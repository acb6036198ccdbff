import { monotonicNow } from "./monotonic.js";
import type { BreakerCore } from "./breaker-core.js";
import type { Epoch } from "./gate.js";
import { guardedIteration } from "./settle-value.js";
import { adoptThenable, observe } from "./thenable.js";

type AnyFunction = (...args: never[]) => unknown;

/**
 * A closed-state call whose only extra is its duration, for a hook (an exporter's histogram):
 * the shortest path plus a start time, with the two reactions made for this call. Nothing else
 * (no deadline, no promise of its own) is set up.
 */
export function runMeasured(
  core: BreakerCore,
  epoch: Epoch,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
): Promise<unknown> {
  const start = monotonicNow();
  let result: unknown;
  try {
    result = Reflect.apply(fn, thisArg, args);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything can be thrown; the caller gets it as it was
    return Promise.reject(core.settleFailure(epoch, error, false, start));
  }
  const work = adoptThenable(result);
  if (work === undefined) {
    const iteration = guardedIteration(core, epoch, result);
    if (iteration !== undefined) return Promise.resolve(iteration);
    core.settleSuccess(epoch, false, start);
    return Promise.resolve(result);
  }
  core.pending++;
  return observe(
    work,
    (value) => {
      core.pending--;
      core.settleSuccess(epoch, false, start);
      return value;
    },
    (error: unknown) => {
      core.pending--;
      throw core.settleFailure(epoch, error, false, start);
    },
  );
}
