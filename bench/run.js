// npm run bench: time per call as ratios to the floor of the same scenario and round, the
// median of 5 runs (processes) per scenario, then heap per breaker. Options:
//   --node 22[,24]     run under other node releases too (npx -p node@22), or a path
//   --runs 5 --rounds 100 --warmup 20 --batch N   (N overrides every scenario's batch size)
//   --scenario success,open   only these scenarios (ids in scenarios.js)
//   --no-heap          skip the heap figures
import { spawn } from "node:child_process";
import { URL, fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./harness.js";
import { describeNode, nodeBinary } from "./node-binary.js";
import { scenarioById, scenarios } from "./scenarios.js";

const { values: options } = parseArgs({
  options: {
    node: { type: "string", default: "" },
    runs: { type: "string", default: "5" },
    rounds: { type: "string", default: "100" },
    warmup: { type: "string", default: "20" },
    batch: { type: "string" },
    scenario: { type: "string" },
    "no-heap": { type: "boolean", default: false },
  },
});
const runs = positiveInteger("runs", options.runs);
const rounds = positiveInteger("rounds", options.rounds);
const warmup = positiveInteger("warmup", options.warmup);
const batch = options.batch === undefined ? undefined : positiveInteger("batch", options.batch);
const selected =
  options.scenario === undefined ? scenarios : options.scenario.split(",").map(scenarioById);

function positiveInteger(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`bench: --${name} takes an integer >= 1, got "${text}"`);
  return value;
}

const script = (name) => fileURLToPath(new URL(name, import.meta.url));

/** Runs `binary args`, resolving to its stdout; rejects with its stderr if it fails. */
function capture(binary, args, inheritStdout = false) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      stdio: ["ignore", inheritStdout ? "inherit" : "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${binary} ${args.join(" ")} exited with ${String(code)}\n${stderr}`));
    });
  });
}

const fmt = (ratio) => `${ratio.toFixed(2)}x`;
const range = (values) => `[${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}]`;

function printScenario(scenario, results) {
  const size = batch ?? scenario.batch ?? 1_000;
  console.log(`\n${scenario.name} (batches of ${String(size)} calls)`);
  console.log(`  ${"variant".padEnd(44)} ${"ratio to floor [range]".padEnd(24)} ns/call`);
  for (const variant of results[0].variants) {
    const ofRuns = results.map((r) => r.variants.find((v) => v.id === variant.id));
    const ratios = ofRuns.map((v) => v.ratio);
    const figure =
      variant.id === scenario.floor
        ? "1.00x".padEnd(24)
        : `${fmt(median(ratios))} ${range(ratios)}`.padEnd(24);
    const ns = median(ofRuns.map((v) => v.ns)).toFixed(1);
    console.log(`  ${variant.name.padEnd(44)} ${figure} ${ns.padStart(9)}`);
  }
  for (const pair of results[0].compare) {
    const ratios = results.map(
      (r) => r.compare.find((c) => c.a === pair.a && c.b === pair.b).ratio,
    );
    const name = (id) => scenario.variants.find((v) => v.id === id).name;
    console.log(`  ${name(pair.a)} / ${name(pair.b)}: ${fmt(median(ratios))} ${range(ratios)}`);
  }
}

async function benchOn(version) {
  const binary = nodeBinary(version);
  console.log(
    `\nNode ${describeNode(binary)}: ${String(runs)} runs (one process each) per scenario, ` +
      `${String(rounds)} rounds per run after ${String(warmup)} warm-up rounds.\n` +
      "Ratio: median over the runs of each run's median per-round ratio to the scenario's floor " +
      "[min-max over the runs]; ns/call: median over the runs of each run's median.",
  );
  const results = new Map(selected.map((s) => [s.id, []]));
  let failed = false;
  // Run 1 of every scenario, then run 2, ...: each scenario's runs meet different moments of
  // the machine's load.
  for (let run = 1; run <= runs; run++) {
    for (const scenario of selected) {
      if (process.stderr.isTTY)
        process.stderr.write(`\r  run ${String(run)}/${String(runs)}: ${scenario.id.padEnd(12)}`);
      const size = batch ?? scenario.batch ?? 1_000;
      const args = [script("time-run.js"), scenario.id, rounds, size, warmup].map(String);
      try {
        const out = await capture(binary, ["--expose-gc", ...args]);
        results.get(scenario.id).push(JSON.parse(out.trim().split("\n").at(-1)));
      } catch (error) {
        failed = true;
        console.error(`\n${error.message}`);
      }
    }
  }
  if (process.stderr.isTTY) process.stderr.write("\r".padEnd(40) + "\r");
  for (const scenario of selected) {
    if (results.get(scenario.id).length > 0) printScenario(scenario, results.get(scenario.id));
  }
  if (!options["no-heap"]) await capture(binary, ["--expose-gc", script("heap.js")], true);
  return !failed;
}

let ok = true;
for (const version of options.node === "" ? [undefined] : options.node.split(",")) {
  ok = (await benchOn(version)) && ok;
}
if (!ok) {
  console.error("\nbench: some runs failed (above); their rows are missing or incomplete");
  process.exitCode = 1;
}
