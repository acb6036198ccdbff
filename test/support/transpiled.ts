// The TypeScript files a child process runs, transpiled to JavaScript (no build, no type check)
// into a cache directory named after their content: tests spawn `node <dir>/test/x.js` and the
// child runs the sources as they are now. The tree sits under node_modules/.cache so that its
// bare imports (redis, ioredis) resolve to the repository's packages.
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../..", import.meta.url));
const relativeImport = /(?:^|[\s;])(?:import|export)\s[^"';]*?["'](\.{1,2}\/[^"']+)\.js["']/g;

/** Every `.ts` file `entries` reach by relative imports (repository paths). */
function reachable(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = entries.map((entry) => resolve(root, entry));
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(relativeImport)) {
      const target = resolve(dirname(file), `${match[1] as string}.ts`);
      if (existsSync(target)) queue.push(target);
    }
  }
  return [...seen].map((file) => relative(root, file)).sort();
}

/** Files under `src/` that are not TypeScript (the Lua scripts): copied as they are. */
function assets(dir = "src"): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...assets(path));
    else if (!entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/**
 * Transpiles `entries` (repository paths of `.ts` files) and what they import into a directory
 * of the same layout with `.js` files, and returns it; the same content is transpiled once.
 */
export function transpiled(entries: readonly string[]): string {
  const files = reachable(entries);
  const copies = assets();
  const hash = createHash("sha256").update(ts.version);
  for (const file of [...files, ...copies])
    hash.update(file).update(readFileSync(join(root, file)));
  const cache = join(root, "node_modules", ".cache", "aiobreaker-transpiled");
  const target = join(cache, hash.digest("hex").slice(0, 16));
  if (existsSync(target)) return target;
  // Written aside and renamed: test files running at the same time never see half a tree.
  const scratch = `${target}.${String(process.pid)}.${Math.random().toString(36).slice(2)}`;
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, file), "utf8"), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(scratch, file.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  for (const file of copies) cpSync(join(root, file), join(scratch, file));
  // A tree under node_modules has no package scope of its own: say its .js files are ESM.
  writeFileSync(join(scratch, "package.json"), '{ "type": "module" }\n');
  try {
    renameSync(scratch, target);
  } catch (error) {
    // Another test file made the same tree first.
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return target;
}
