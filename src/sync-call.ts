import { monotonicNow } from "./monotonic.js";
import type { BreakerCore } from "./breaker-core.js";
import { FailedResultError } from "./call-errors.js";
import { judgedFailure } from "./controlled-call.js";
import type { CallTraceContext } from "./diagnostics.js";
import { describeValue } from "./describe.js";
import { COUNTED } from "./gate.js";
import { isThenable, watchRejection } from "./thenable.js";

type AnyFunction = (...args: never[]) => unknown;

/**
 * `callSync`: admits, runs `fn(...args)` and settles, all synchronously; a refusal or the
 * function's error is thrown. A thenable result is refused with a `TypeError` (not counted).
 */
export function runSync(
  core: BreakerCore,
  fn: AnyFunction,
  args: unknown[],
  trace: CallTraceContext | undefined,
): unknown {
  const epoch = core.admitReported();
  if (epoch instanceof Error) {
    if (trace !== undefined) trace.outcome = "rejected";
    throw epoch;
  }
  core.beforeCall(fn, args);
  const start = trace === undefined ? core.startTime() : monotonicNow();
  const slowStart = core.settings.slowCallDuration === undefined ? 0 : core.clock.now();
  let result: unknown;
  let thenable: boolean;
  try {
    result = Reflect.apply(fn, undefined, args);
    thenable = isThenable(result);
  } catch (error) {
    throw core.settleFailure(epoch, error, core.isSlow(slowStart), start, undefined, trace);
  }
  if (thenable) {
    core.settleNeutral(epoch, undefined, trace);
    if (result instanceof Promise) {
      // Its rejection must not crash the process once the caller has handled the TypeError,
      // nor vanish: it goes where listener errors go. (A foreign thenable is left untouched:
      // calling its `then` may start work, as a lazy query builder's does.)
      watchRejection(result, (error) => {
        core.listeners.report(error, "callSync");
      });
    }
    // The thenable is the cause: its outcome stays the caller's to observe.
    throw new TypeError(
      `callSync got a thenable from ${describeValue(fn)}; use call() for asynchronous functions`,
      { cause: result },
    );
  }
  const slow = core.isSlow(slowStart);
  const judge = core.settings.isFailureResult;
  if (judge !== undefined && judgedFailure(core, judge, result)) {
    // Recorded as a failure; the caller still gets the value.
    core.settleFailure(
      epoch,
      new FailedResultError(core.name, result),
      slow,
      start,
      COUNTED,
      trace,
    );
  } else {
    core.settleSuccess(epoch, slow, start, trace);
  }
  return result;
}
