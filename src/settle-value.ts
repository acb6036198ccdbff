import { UNMEASURED, type CallGate, type Epoch } from "./gate.js";
import { guardIteration } from "./guarded-generator.js";
import { adoptThenable, observe } from "./thenable.js";

/**
 * Settles a call whose function returned something other than a plain promise: a thenable is
 * adopted and followed; a generator is handed back guarded over its iteration (its iteration
 * decides the outcome); any other value is a success.
 */
export function settleValue(gate: CallGate, epoch: Epoch, result: unknown): Promise<unknown> {
  const work = adoptThenable(result);
  if (work !== undefined) {
    const settled = observe(work, epoch.onFulfilled, epoch.onRejected);
    gate.pending++;
    return settled;
  }
  const iteration = guardedIteration(gate, epoch, result);
  if (iteration !== undefined) return Promise.resolve(iteration);
  gate.settleSuccess(epoch, false, UNMEASURED);
  return Promise.resolve(result);
}

/**
 * When `result` is a generator (sync or async), the generator the caller gets instead: one whose
 * iteration decides the call's outcome. `undefined` for any other value.
 */
export function guardedIteration(gate: CallGate, epoch: Epoch, result: unknown): unknown {
  const kind = generatorKind(result);
  if (kind === undefined) return undefined;
  return guardIteration(gate, epoch, result as Iterator<unknown> & AsyncIterator<unknown>, kind);
}

/** `"sync"` or `"async"` for a generator object made by a generator function, else `undefined`. */
function generatorKind(value: unknown): "sync" | "async" | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  let tag: string;
  try {
    // Reads Symbol.toStringTag, which any object may define with a getter that throws.
    tag = Object.prototype.toString.call(value);
  } catch {
    return undefined;
  }
  if (tag === "[object Generator]") return "sync";
  return tag === "[object AsyncGenerator]" ? "async" : undefined;
}
