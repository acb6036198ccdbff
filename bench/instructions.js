// npm run bench:instructions: instructions per call under valgrind (callgrind), which do not
// move with the machine's load. Each variant runs alone in its own process, at two lengths
// (warm-up W = N / 2, then N or 2N calls): (I(2N) - I(N)) / N is its count per call, start-up and
// warm-up cancelling out. Everything runs twice to show how well the counts repeat. Options:
//   --node 22          another node release (npx -p node@22), or a path
//   --jobs 2           valgrind processes at once (default: the cores there are)
//   --repeat 2         measurements per variant (agreement is printed when >= 2)
//   --only success.call,open.floor   only these variants
//   --diff call floor  per-function instructions per call of one variant over another
//                      (ids as above; a bare id means the "success" scenario)
//   --keep             keep the callgrind files (their directory is printed)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { URL, fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeNode, nodeBinary } from "./node-binary.js";
import { functionCosts } from "./callgrind.js";
import { scenarioById, scenarios, variantById } from "./scenarios.js";

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    node: { type: "string", default: "" },
    jobs: { type: "string", default: String(availableParallelism()) },
    repeat: { type: "string", default: "2" },
    only: { type: "string" },
    diff: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const jobs = Math.max(1, Number(options.jobs));
const repeat = Math.max(1, Number(options.repeat));
const binary = nodeBinary(options.node);
const AGREEMENT = 0.004;
// Fixed seeds, no concurrent compilation or GC threads, and a GC schedule that does not follow
// the clock (under valgrind the clock runs 50x slower): the same run executes the same code.
// Baseline (Sparkplug) code is compiled function by function instead of in batches: batched,
// the moment a batch compiled moved between repeats and made them differ by up to 2 %.
const NODE_FLAGS = [
  "--predictable",
  "--predictable-gc-schedule",
  "--no-baseline-batch-compilation",
  "--random-seed=1",
  "--hash-seed=1",
];
const target = fileURLToPath(new URL("instruction-target.js", import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), "aiobreaker-callgrind-"));

/** "success.call" (or "call", in the success scenario) to its scenario, variant and length. */
function job(key) {
  const [scenarioId, variantId] = key.includes(".") ? key.split(".") : ["success", key];
  const scenario = scenarioById(scenarioId);
  const variant = variantById(scenario, variantId);
  const spec = scenario.instructions ?? {};
  const calls =
    variant.instructionCalls ?? (variant.peer ? spec.peerCalls : undefined) ?? spec.calls ?? 20_000;
  return { key: `${scenarioId}.${variantId}`, scenario, variant, calls };
}

// Node loads the extra CA certificates at start-up when this is set: most of its start-up
// instructions, and nothing here makes a TLS connection.
// A thread cache large enough for nearly every allocation: the main thread's mallocs then do
// not depend on the shared arena, whose state follows what the other threads freed (without
// it, repeats of the failure rows differed by 0.5 %, all of it inside glibc's malloc).
const childEnv = {
  ...process.env,
  GLIBC_TUNABLES: "glibc.malloc.tcache_count=65000:glibc.malloc.tcache_max=65536",
};
delete childEnv.NODE_EXTRA_CA_CERTS;

/** One valgrind process: `warmup` calls then `calls` calls; resolves to its main thread's file. */
function callgrind({ scenario, variant }, warmup, calls, label, extraFlags = []) {
  const file = join(outDir, `${scenario.id}.${variant.id}.${label}.out`);
  const args = [
    "-R",
    "valgrind",
    "--tool=callgrind",
    // A file per thread: only the main thread's count is taken. Under --predictable V8 compiles
    // and collects there; the other threads (libuv's pool, node's platform workers) wake on
    // timed waits, so their counts follow the wall clock.
    "--separate-threads=yes",
    `--callgrind-out-file=${file}`,
    binary,
    ...NODE_FLAGS,
    ...extraFlags,
    target,
    scenario.id,
    variant.id,
    String(warmup),
    String(calls),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("setarch", [process.arch === "arm64" ? "aarch64" : "x86_64", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: childEnv,
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(`${file}-01`);
      else
        reject(
          new Error(`valgrind ${args.slice(5).join(" ")} exited with ${String(code)}\n${stderr}`),
        );
    });
  });
}

function totalInstructions(file) {
  const match = /^summary: (\d+)$/m.exec(readFileSync(file, "utf8"));
  if (match === null) throw new Error(`bench: no instruction total in ${file}`);
  return Number(match[1]);
}

/** Runs `tasks` (functions returning promises) `jobs` at a time, in order of start. */
async function pool(tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
      done++;
      if (process.stderr.isTTY)
        process.stderr.write(`\r  ${String(done)}/${String(tasks.length)} runs`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  if (process.stderr.isTTY) process.stderr.write("\r".padEnd(30) + "\r");
  return results;
}

// Enough for every function on the path to reach its optimised code (the loop's first
// TurboFan code comes within the first few thousand calls).
const warmupOf = (j) => Math.ceil(j.calls / 2);

/** Per repeat, instructions per call of `j` by the difference of its two lengths. */
function perCallTasks(j, repeats, extraFlags) {
  const tasks = [];
  for (let r = 0; r < repeats; r++) {
    for (const length of [1, 2]) {
      tasks.push(() =>
        callgrind(j, warmupOf(j), length * j.calls, `${String(length)}n.${String(r)}`, extraFlags),
      );
    }
  }
  return tasks;
}

const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(9);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

async function headline() {
  const keys =
    options.only?.split(",") ??
    scenarios.flatMap((s) => (s.instructions?.variants ?? []).map((v) => `${s.id}.${v}`));
  const list = keys.map(job);
  const started = Date.now();
  // The longest runs first, so that the last ones to finish are short.
  const tasks = list.map((j, index) => ({ index, cost: j.calls * (j.variant.peer ? 4 : 1), j }));
  tasks.sort((p, q) => q.cost - p.cost);
  const files = new Array(list.length);
  const done = await pool(tasks.flatMap((t) => perCallTasks(t.j, repeat, [])));
  tasks.forEach((t, order) => {
    files[t.index] = done.slice(order * 2 * repeat, (order + 1) * 2 * repeat);
  });
  const measured = new Map();
  list.forEach((j, index) => {
    const perRepeat = [];
    for (let r = 0; r < repeat; r++) {
      const [once, twice] = files[index].slice(2 * r, 2 * r + 2);
      perRepeat.push((totalInstructions(twice) - totalInstructions(once)) / j.calls);
    }
    const mean = perRepeat.reduce((a, b) => a + b, 0) / perRepeat.length;
    const spread = (Math.max(...perRepeat) - Math.min(...perRepeat)) / mean;
    measured.set(j.key, { ...j, perRepeat, mean, spread });
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(
    `\nInstructions per call, Node ${describeNode(binary)}, valgrind callgrind ` +
      `(${NODE_FLAGS.join(" ")}, address randomisation off).\n` +
      `Per call = (I(W + 2N) - I(W + N)) / N, W = N / 2, main thread only; ` +
      `${String(repeat)} measurements each, ` +
      `${String(jobs)} valgrind processes at once; ${minutes} min.`,
  );
  let worst = 0;
  for (const scenario of scenarios) {
    const rows = [...measured.values()].filter((m) => m.scenario === scenario);
    if (rows.length === 0) continue;
    const floorKey = scenario.instructions?.floor ?? `${scenario.id}.${scenario.floor}`;
    const floor = measured.get(floorKey);
    console.log(`\n${scenario.name} (N = ${String(rows[0].calls)})`);
    for (const m of rows) {
      if (!m.variant.peer) worst = Math.max(worst, m.spread);
      const toFloor =
        floor === undefined || m === floor ? "" : `  ${ratio(m.mean, floor.mean)} ${floorKey}`;
      const agreement = repeat > 1 ? `  (repeats within ${(m.spread * 100).toFixed(2)} %)` : "";
      console.log(`  ${m.variant.name.padEnd(40)} ${fmt(m.mean)}${toFloor}${agreement}`);
    }
    for (const [a, b] of scenario.instructions?.compare ?? []) {
      const key = (id) => (id.includes(".") ? id : `${scenario.id}.${id}`);
      const [ma, mb] = [measured.get(key(a)), measured.get(key(b))];
      if (ma !== undefined && mb !== undefined)
        console.log(`  ${key(a)} / ${key(b)}: ${ratio(ma.mean, mb.mean)}`);
    }
  }
  if (repeat > 1) {
    const verdict = worst <= AGREEMENT ? "within" : "NOT within";
    console.log(
      `\nRepeat agreement (aiobreaker and floors; peers may follow the clock): worst ` +
        `${(worst * 100).toFixed(2)} %, ${verdict} ${String(AGREEMENT * 100)} %`,
    );
    if (worst > AGREEMENT) process.exitCode = 1;
  }
}

async function diff([keyA, keyB]) {
  if (keyA === undefined || keyB === undefined)
    throw new RangeError("bench: --diff takes two variants, e.g. --diff call floor");
  const [a, b] = [job(keyA), job(keyB)];
  // --perf-basic-prof writes /tmp/perf-PID.map, naming the JIT code's addresses (and turns on
  // V8's log, which would land in the working directory).
  const flags = [
    "--perf-basic-prof",
    `--logfile=${join(outDir, "v8.log")}`,
    "--no-logfile-per-isolate",
  ];
  const files = await pool([a, b].flatMap((j) => perCallTasks(j, 1, flags)));
  const costs = [a, b].map((j, index) => {
    const [once, twice] = files.slice(2 * index, 2 * index + 2).map(functionCosts);
    const perCall = new Map();
    for (const [name, count] of twice) perCall.set(name, (count - (once.get(name) ?? 0)) / j.calls);
    return perCall;
  });
  const names = new Set([...costs[0].keys(), ...costs[1].keys()]);
  const rows = [...names].map((name) => {
    const [x, y] = costs.map((c) => c.get(name) ?? 0);
    return { name, a: x, b: y, delta: x - y };
  });
  rows.sort((p, q) => Math.abs(q.delta) - Math.abs(p.delta));
  const sum = (pick) => rows.reduce((total, row) => total + pick(row), 0);
  console.log(
    `\nInstructions per call by function, ${a.key} over ${b.key}, Node ${describeNode(binary)}` +
      ` (self cost; JIT code named from --perf-basic-prof's map, "JS:*" = optimised)`,
  );
  console.log(`  ${"delta".padStart(9)} ${a.key.padStart(12)} ${b.key.padStart(12)}  function`);
  for (const row of rows.filter((r) => Math.abs(r.delta) >= 1).slice(0, 60)) {
    const line = [row.delta, row.a, row.b].map((n, i) => (i === 0 ? fmt(n) : fmt(n).padStart(12)));
    console.log(`  ${line.join(" ")}  ${row.name}`);
  }
  const totals = [sum((r) => r.delta), sum((r) => r.a), sum((r) => r.b)];
  console.log(
    `  ${totals.map((n, i) => (i === 0 ? fmt(n) : fmt(n).padStart(12))).join(" ")}  total`,
  );
}

try {
  await (options.diff ? diff(positionals) : headline());
} finally {
  if (options.keep) console.log(`\ncallgrind files kept in ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
}
