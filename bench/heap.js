// Heap per breaker (run by run.js with --expose-gc): 10 000 breakers, each after it served one
// call (as breakers in use are), the heap measured after full GCs before and after; the median
// of three measurements. Peers beside: cockatiel 4 and opossum 10 (defaults; shut down after).
import CircuitBreakerOpossum from "opossum";
import { ConsecutiveBreaker, circuitBreaker, handleAll } from "cockatiel";
import { CircuitBreaker, CircuitBreakerGroup } from "../dist/index.js";
import { median } from "./harness.js";

const COUNT = 10_000;
const REPEAT = 3;
const fn = async (x) => x + 1;

if (typeof globalThis.gc !== "function") {
  console.error("bench: heap figures need node --expose-gc");
  process.exit(1);
}
function settle() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** One measurement: bytes per item that `make` keeps alive, over `COUNT` items. */
async function measureOnce({ setup, make, release }) {
  // Allocated before the first reading, so the array holding them is not counted.
  const kept = new Array(COUNT).fill(undefined);
  const context = setup();
  const before = settle();
  for (let i = 0; i < COUNT; i++) kept[i] = await make(i, context);
  const after = settle();
  release(kept, context);
  return (after - before) / COUNT;
}

/**
 * Bytes per item that `make(i, context)` keeps alive; `setup()` makes the context before the
 * first reading (so it is not counted), `release(items, context)` runs after the measurement.
 * Each measurement is a call of its own: when they shared one function's frame, Node 24 kept
 * the previous measurement's items alive into the next one's first reading.
 */
async function bytesPer({ setup = () => undefined, make, release = () => undefined }) {
  const figures = [];
  for (let repeat = 0; repeat < REPEAT; repeat++) {
    figures.push(await measureOnce({ setup, make, release }));
  }
  return median(figures);
}

const rows = [
  [
    "aiobreaker, idle (never called)",
    await bytesPer({ make: (i) => new CircuitBreaker({ name: `b${String(i)}` }) }),
  ],
  [
    "aiobreaker, after one call",
    await bytesPer({
      make: async (i) => {
        const breaker = new CircuitBreaker({ name: `b${String(i)}` });
        await breaker.call(fn, i);
        return breaker;
      },
    }),
    1,
  ],
  [
    "aiobreaker group, per key after one call",
    await bytesPer({
      setup: () => new CircuitBreakerGroup({ name: "keys", maxKeys: 2 * COUNT }),
      make: async (i, group) => {
        await group.call(`key-${String(i)}`, fn, i);
        return undefined;
      },
    }),
    1.5,
  ],
  [
    "cockatiel 4, after one call",
    await bytesPer({
      make: async (i) => {
        const policy = circuitBreaker(handleAll, {
          halfOpenAfter: 60_000,
          breaker: new ConsecutiveBreaker(5),
        });
        await policy.execute(() => fn(i));
        return policy;
      },
    }),
  ],
  [
    "opossum 10, after one call",
    await bytesPer({
      make: async (i) => {
        const breaker = new CircuitBreakerOpossum(fn, { name: `b${String(i)}` });
        await breaker.fire(i);
        return breaker;
      },
      release: (breakers) => {
        for (const breaker of breakers) breaker.shutdown();
      },
    }),
  ],
];

console.log(
  `\nheap per breaker (${String(COUNT)} breakers, full GCs before and after, median of 3)`,
);
for (const [name, bytes, targetKb] of rows) {
  const kb = bytes / 1024;
  const verdict =
    targetKb === undefined
      ? ""
      : `   target <= ${targetKb.toFixed(1)} KB: ${kb <= targetKb ? "met" : "over"}`;
  console.log(`  ${name.padEnd(42)} ${kb.toFixed(2).padStart(6)} KB${verdict}`);
}
