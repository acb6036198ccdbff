// Which node runs the benchmark: this one, or a release from the npm registry's `node` package
// (`--node 22`), or a binary given by path.
import { execFileSync } from "node:child_process";

/** The executable for `version` ("22", "24.1.0", a path, or undefined for this node). */
export function nodeBinary(version) {
  if (version === undefined || version === "" || process.version.slice(1).startsWith(`${version}.`))
    return process.execPath;
  if (version.includes("/")) return version;
  if (!/^\d+(\.\d+){0,2}$/.test(version))
    throw new RangeError(
      `bench: --node takes a major version, a version or a path, got "${version}"`,
    );
  const out = execFileSync(
    "npx",
    ["--yes", "-p", `node@${version}`, "node", "-p", "process.execPath"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  return out.trim().split("\n").at(-1);
}

/** "v22.23.3 (V8 12.4.254.21-node.33)" for the executable `binary`. */
export function describeNode(binary) {
  return execFileSync(binary, ["-p", "`${process.version} (V8 ${process.versions.v8})`"], {
    encoding: "utf8",
  }).trim();
}
