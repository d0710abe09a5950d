/**
 * `pinsim kernels`: the kernel version presets (src/model/kernels.ts), a line each; with
 * `--kernel ID`, that preset in full: its fields, every feature, every caller's flags,
 * policy and release, and the sources. The text comes from src/model/kernel-table.ts, which
 * iterates the table: a new preset or feature needs no edit here.
 */
import type { Command } from "commander";
import { CALLER_IDS, callerProfile } from "../../model/callers.js";
import { kernelDetail, kernelLines } from "../../model/kernel-table.js";
import { KERNEL_IDS, KERNELS, kernelPreset, type KernelPreset } from "../../model/kernels.js";
import { UsageError } from "../errors.js";

/** Register `pinsim kernels` on `program`. */
export function registerKernels(program: Command, _state: { code: number }): void {
  program
    .command("kernels")
    .description("list the kernel version presets: every feature of the kernel table, the policy per caller, HZ")
    .option("--kernel <id>", `one preset in full (${KERNEL_IDS.join(", ")})`)
    .option("--json", "as JSON")
    .action((opts: { kernel?: string; json?: boolean }) => {
      const one = opts.kernel === undefined ? null : presetOrUsage(opts.kernel);
      const callers = (p: KernelPreset) => CALLER_IDS.map((c) => callerProfile(c, p.id));
      if (opts.json) {
        const rows = (one ? [one] : KERNEL_IDS.map((id) => KERNELS[id])).map((p) => ({
          ...p,
          callers: Object.fromEntries(callers(p).map((c) => [c.id, c])),
        }));
        process.stdout.write(JSON.stringify(one ? rows[0] : rows, null, 2) + "\n");
        return;
      }
      const lines = one ? kernelDetail(one, callers(one)) : kernelLines();
      process.stdout.write(lines.join("\n") + "\n");
    });
}

/** The preset named `id`, or a UsageError (exit 2) naming the allowed ids. */
function presetOrUsage(id: string): KernelPreset {
  try {
    return kernelPreset(id);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
