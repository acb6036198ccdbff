// Checks the links of the Markdown docs offline: every relative link must name a file or folder
// of the repository, every `#anchor` a heading (or an element id) of the file it points at, and
// every `[text][label]` a definition. Web links are only checked to be well-formed URLs: CI has
// no network. Run by `npm run check`; `node scripts/check-links.js [files...]` checks other files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, URL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** README.md and every Markdown file directly in docs/ (docs/api/ is generated HTML). */
export function defaultFiles() {
  const docs = join(root, "docs");
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith(".md"))
        .map((name) => join(docs, name))
    : [];
  return [join(root, "README.md"), ...inDocs];
}

/**
 * The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces
 * to hyphens, `-1`, `-2`, ... for repeats), plus any `id="..."` or `name="..."` in its HTML.
 */
export function anchorsOf(markdown) {
  const anchors = new Set();
  const seen = new Map();
  for (const line of proseLines(markdown)) {
    // The raw line: a heading's code spans are part of its anchor.
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.raw);
    if (heading) {
      const text = (heading[1] ?? "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
      const base = text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${String(count)}`);
    }
    for (const match of line.text.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  return anchors;
}

/** The lines outside fenced code blocks, as written and with inline code spans blanked out. */
function proseLines(markdown) {
  const lines = [];
  let fence;
  markdown.split("\n").forEach((text, index) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (marker) {
      const ticks = marker[1] ?? "";
      if (fence === undefined) fence = ticks;
      else if (ticks[0] === fence[0] && ticks.length >= fence.length) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const prose = text.replace(/(`+)[^`]*?\1/g, (span) => " ".repeat(span.length));
    lines.push({ number: index + 1, raw: text, text: prose });
  });
  return lines;
}

/** The links of a Markdown file: inline `[text](target)`, definitions and `[text][label]` uses. */
function linksOf(markdown) {
  const links = [];
  const labels = new Set();
  const uses = [];
  for (const { number, text } of proseLines(markdown)) {
    const definition = /^ {0,3}\[([^\]]+)\]:\s*(\S+)/.exec(text);
    if (definition) {
      labels.add((definition[1] ?? "").toLowerCase());
      links.push({ line: number, target: definition[2] ?? "" });
      continue;
    }
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: number, target: match[1] ?? "" });
    }
    for (const match of text.matchAll(/\[([^\]]+)\]\[([^\]]*)\]/g)) {
      uses.push({ line: number, label: (match[2] || match[1] || "").toLowerCase() });
    }
    for (const match of text.matchAll(/\bhref="([^"]*)"/g)) {
      links.push({ line: number, target: match[1] ?? "" });
    }
  }
  return { links, labels, uses };
}

/** Every broken link in `files`, as `file:line: message`. */
export function checkLinks(files) {
  const problems = [];
  const anchorCache = new Map();
  const anchorsIn = (file) => {
    let anchors = anchorCache.get(file);
    if (anchors === undefined) {
      anchors = anchorsOf(readFileSync(file, "utf8"));
      anchorCache.set(file, anchors);
    }
    return anchors;
  };
  let checked = 0;
  for (const file of files) {
    const name = relative(process.cwd(), file) || file;
    const { links, labels, uses } = linksOf(readFileSync(file, "utf8"));
    for (const { line, label } of uses) {
      if (!labels.has(label))
        problems.push(`${name}:${String(line)}: no definition for [${label}]`);
    }
    for (const { line, target } of links) {
      checked++;
      const where = `${name}:${String(line)}`;
      if (target === "") {
        problems.push(`${where}: empty link`);
        continue;
      }
      if (/^[a-z][a-z\d+.-]*:/i.test(target)) {
        try {
          new URL(target);
        } catch {
          problems.push(`${where}: malformed URL ${target}`);
        }
        continue;
      }
      const hash = target.indexOf("#");
      const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const resolved = path === "" ? file : resolve(dirname(file), path);
      if (!existsSync(resolved)) {
        problems.push(`${where}: ${path} does not exist`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith(".md") || !statSync(resolved).isFile()) {
        problems.push(`${where}: #${anchor} points into ${path}, which is not a Markdown file`);
      } else if (!anchorsIn(resolved).has(anchor)) {
        problems.push(`${where}: no heading #${anchor} in ${relative(process.cwd(), resolved)}`);
      }
    }
  }
  return { problems, checked };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const given = process.argv.slice(2);
  const files = given.length === 0 ? defaultFiles() : given.map((file) => resolve(file));
  const { problems, checked } = checkLinks(files);
  for (const problem of problems) console.error(problem);
  if (problems.length !== 0) {
    console.error(`check-links: ${String(problems.length)} broken of ${String(checked)} links`);
    process.exitCode = 1;
  } else {
    console.log(
      `check-links: ${String(checked)} links in ${String(files.length)} files, none broken`,
    );
  }
}
