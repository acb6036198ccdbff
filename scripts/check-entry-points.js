// The API reference must cover every entry point of the package and nothing else: each subpath in
// package.json `exports` with types under dist/ needs its source file in typedoc.json
// `entryPoints`, and each entry point an export. Run by `npm run docs` before TypeDoc.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const typedoc = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8"));

/** The `types` targets of an export, however deeply its conditions nest. */
function typesOf(target) {
  if (typeof target !== "object" || target === null) return [];
  return Object.entries(target).flatMap(([condition, value]) =>
    condition === "types" && typeof value === "string" ? [value] : typesOf(value),
  );
}

const expected = new Map();
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
  for (const types of typesOf(target)) {
    const source = /^\.\/dist\/(.+)\.d\.ts$/.exec(types);
    if (source) expected.set(`src/${source[1] ?? ""}.ts`, subpath);
  }
}
const listed = new Set(typedoc.entryPoints ?? []);
const problems = [];
for (const [source, subpath] of expected) {
  if (!listed.has(source)) {
    problems.push(`typedoc.json entryPoints lacks ${source} (package.json exports "${subpath}")`);
  }
}
for (const source of listed) {
  if (!expected.has(source)) {
    problems.push(`typedoc.json entry point ${source} is not a package.json export`);
  }
}
for (const problem of problems) console.error(problem);
if (problems.length !== 0) process.exitCode = 1;
