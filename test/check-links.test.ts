import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anchorsOf, checkLinks, defaultFiles } from "../scripts/check-links.js";

describe("check-links", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aiobreaker-links-"));
    mkdirSync(join(dir, "docs"));
    writeFileSync(join(dir, "README.md"), "# Title\n\n## Quick start\n");
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function check(markdown: string): string[] {
    const file = join(dir, "docs", "guide.md");
    writeFileSync(file, markdown);
    return checkLinks([file]).problems.map((problem) => problem.replace(/^.*guide\.md:/, ""));
  }

  it("gives headings GitHub's anchors, code spans and repeats included", () => {
    const anchors = anchorsOf(
      '# A `b` c\n\n## Héllo, World!\n\n## A `b` c\n\n### `call(fn)` [link](x.md)\n<a id="here"></a>\n',
    );
    expect([...anchors]).toEqual(["a-b-c", "héllo-world", "a-b-c-1", "callfn-link", "here"]);
  });

  it("accepts links to files, folders and headings that exist", () => {
    expect(
      check(
        "# Guide\n\n[r](../README.md) [q](../README.md#quick-start) [d](../docs) [s](#guide) " +
          "[w](https://example.com/x) [l][ref]\n\n[ref]: ../README.md#title\n",
      ),
    ).toEqual([]);
  });

  it("reports each broken link with its line", () => {
    expect(
      check(
        "# Guide\n\n[a](missing.md)\n[b](../README.md#nope) [c](#nowhere)\n[d][undefined]\n" +
          "[e](https://)\n[f](../docs#x)\n[g]()\n",
      ),
    ).toEqual([
      "5: no definition for [undefined]",
      "3: missing.md does not exist",
      expect.stringMatching(/^4: no heading #nope in .*README\.md$/) as string,
      expect.stringMatching(/^4: no heading #nowhere in .*guide\.md$/) as string,
      "6: malformed URL https://",
      "7: #x points into ../docs, which is not a Markdown file",
      "8: empty link",
    ]);
  });

  it("ignores links inside fenced code and code spans", () => {
    expect(check("# Guide\n\n```md\n[a](missing.md)\n```\n\n`[b](missing.md)`\n")).toEqual([]);
  });

  it("checks the README and every Markdown file in docs/ by default", () => {
    const files = defaultFiles();
    expect(files[0]).toMatch(/README\.md$/);
    expect(files.every((file) => file.endsWith(".md"))).toBe(true);
  });
});
