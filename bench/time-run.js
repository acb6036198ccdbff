// One run of one scenario, in a process of its own (spawned by run.js): interleaved rounds,
// then one JSON line with each variant's median ratio to the floor and median ns per call.
// A scenario per process keeps the breaker's own call sites from seeing other scenarios'
// functions, so adding a scenario does not move the others' figures.
import { measureRounds, median } from "./harness.js";
import { scenarioById } from "./scenarios.js";

const [id, rounds, batch, warmupRounds] = process.argv.slice(2);
const scenario = scenarioById(id);
const result = await measureRounds(scenario, {
  rounds: Number(rounds),
  batch: Number(batch),
  warmupRounds: Number(warmupRounds),
});
const summary = {
  variants: result.variants.map((v) => ({
    id: v.id,
    name: v.name,
    ratio: median(v.ratios),
    ns: median(v.ns),
  })),
  compare: result.compare.map((c) => ({ a: c.a, b: c.b, ratio: median(c.ratios) })),
};
console.log(JSON.stringify(summary));
