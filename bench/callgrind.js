// Reading callgrind files: instructions per function (self cost), as callgrind_annotate lists
// them. Builtins and C++ functions have symbols in node's binary; JIT code has none, so its
// addresses are named from V8's perf map (/tmp/perf-PID.map, written under --perf-basic-prof)
// and lumped per JS function, or lumped together when the map does not know them.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const UNKNOWN_JIT = "JIT code (address not in the perf map)";

/** V8's perf map of the process that wrote `file`, sorted by start; removed once read. */
function perfMap(file) {
  const pid = /^pid: (\d+)$/m.exec(readFileSync(file, "utf8"))?.[1];
  const path = `/tmp/perf-${String(pid)}.map`;
  if (pid === undefined || !existsSync(path)) return [];
  const entries = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [start, size, ...name] = line.split(" ");
      return {
        start: parseInt(start, 16),
        end: parseInt(start, 16) + parseInt(size, 16),
        name: name.join(" "),
      };
    });
  rmSync(path);
  // Later entries win: code made later took the address over from code that was freed.
  return entries.map((entry, order) => ({ ...entry, order })).sort((p, q) => p.start - q.start);
}

function nameOf(address, map) {
  let found;
  for (const entry of map) {
    if (entry.start > address) break;
    if (address < entry.end && (found === undefined || entry.order > found.order)) found = entry;
  }
  return found?.name ?? UNKNOWN_JIT;
}

/** Map from function name to its self instructions in the callgrind file `file`. */
export function functionCosts(file) {
  const listing = execFileSync(
    "callgrind_annotate",
    ["--threshold=100", "--auto=no", "--inclusive=no", file],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  const map = perfMap(file);
  const costs = new Map();
  for (const line of listing.split("\n")) {
    const match = /^\s*([\d,]+)\s+\([^)]*\)\s+(.+)$/.exec(line);
    if (match === null || match[2].includes("PROGRAM TOTALS")) continue;
    const count = Number(match[1].replaceAll(",", ""));
    let name = match[2].replace(/^\?\?\?:/, "").replace(/ \[\/[^\]]*\/node\]$/, "");
    const jit = /^0x([0-9a-f]+)(?:'\d+)? \[\?\?\?\]$/.exec(name);
    if (jit !== null) name = nameOf(parseInt(jit[1], 16), map);
    costs.set(name, (costs.get(name) ?? 0) + count);
  }
  return costs;
}
