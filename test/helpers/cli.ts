/**
 * The real command line in tests: `bin/pinsim.js` (on dist/, built by pretest) spawned as a
 * child process, and a results directory read back whole to compare before and after.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** bin/pinsim.js. */
export const BIN = fileURLToPath(new URL("../../bin/pinsim.js", import.meta.url));

/** Run `pinsim ARGS…` to completion: its exit code and output. */
export function pinsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file of a directory and its subdirectories (a sweep's journal included), as text, by relative path. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      if (n.isDirectory()) walk(join(d, n.name), `${prefix}${n.name}/`);
      else out[prefix + n.name] = readFileSync(join(d, n.name), "utf8");
    }
  };
  walk(dir, "");
  return out;
}
