// Entry point for Node, Bun and Deno: runs the smoke checks and prints how many passed.
import { smoke } from "./smoke.mjs";

console.log(`runtime smoke: ${String(await smoke())} checks passed`);
