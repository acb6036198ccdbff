import type { BreakerCore } from "./breaker-core.js";
import { BREAKER_POLICY, type CallPolicy } from "./call-policy.js";
import { runControlled } from "./controlled-call.js";
import { callChannel, type CallTraceContext } from "./diagnostics.js";
import { runMeasured } from "./measured-call.js";
import { runTimed } from "./timed-call.js";

type AnyFunction = (...args: never[]) => unknown;

/**
 * A whole guarded call off the shortest path: traced when the `aiobreaker:call` channel has
 * subscribers; then, caught up with the storage, the lean timed path or the controlled one.
 */
export function runGuarded(
  core: BreakerCore,
  fn: AnyFunction,
  thisArg: unknown,
  args: unknown[],
  policy: CallPolicy,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  if (callChannel.hasSubscribers) {
    const context: CallTraceContext = { breaker: core.breaker, args };
    return callChannel.tracePromise(
      () => runControlled(core, fn, thisArg, args, policy, signal, context),
      context,
    );
  }
  let epoch = core.epoch;
  // The path depends on the state: a storage another breaker changed must be caught up with.
  if (epoch.generation !== core.storage.generation) epoch = core.sync();
  if (policy === BREAKER_POLICY && signal === undefined) {
    if (epoch.measured) return runMeasured(core, epoch, fn, thisArg, args);
    if (epoch.timed) return runTimed(core, epoch, fn, thisArg, args, core.settings.callTimeout);
  }
  return runControlled(core, fn, thisArg, args, policy, signal, undefined);
}
