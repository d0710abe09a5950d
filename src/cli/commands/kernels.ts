/**
 * `pinsim kernels`: the kernel version presets (src/model/kernels.ts), a line each; with
 * `--kernel ID`, that preset in full: every caller's flags, policy and release, io_uring's
 * rule, and the sources.
 */
import type { Command } from "commander";
import { CALLER_IDS, callerProfile } from "../../model/callers.js";
import { FEATURES, HZ_CITE, KERNELS, KERNEL_IDS, kernelPreset } from "../../model/kernels.js";
import { UsageError } from "../errors.js";

export function registerKernels(program: Command, _state: { code: number }): void {
  program
    .command("kernels")
    .description(
      "list the kernel version presets (policy per caller, reclaim guard, ext4, long-term refusal, io_uring, HZ)",
    )
    .option("--kernel <id>", `one preset in full (${KERNEL_IDS.join(", ")})`)
    .option("--json", "as JSON")
    .action((opts: { kernel?: string; json?: boolean }) => {
      const ids = opts.kernel === undefined ? KERNEL_IDS : [presetOrUsage(opts.kernel).id];
      if (opts.json) {
        const rows = ids.map((id) => ({
          ...KERNELS[id],
          callers: Object.fromEntries(CALLER_IDS.map((c) => [c, callerProfile(c, id)])),
        }));
        process.stdout.write(JSON.stringify(opts.kernel === undefined ? rows : rows[0], null, 2) + "\n");
        return;
      }
      if (opts.kernel === undefined) {
        for (const id of ids) {
          const k = KERNELS[id];
          process.stdout.write(
            `${id.padEnd(5)} ${k.released}  ${callerProfile("generic", id).policy.padEnd(16)} ${k.summary}; HZ ${k.hz}\n`,
          );
        }
        return;
      }
      const k = KERNELS[ids[0]];
      const lines = [
        `Linux ${k.id} (${k.released}): ${k.summary}; HZ ${k.hz}`,
        `  reclaim guard ${k.reclaimGuard ? "on" : "off"}; fsBehavior ${k.fsBehavior}; exact pin count from folio order ${k.pincountMinOrder ?? "- (no FOLL_PIN counting)"}; io_uring ${k.ioUring}`,
        "  callers:",
        ...CALLER_IDS.map((c) => {
          const p = callerProfile(c, k.id);
          if (!p.exists) return `    ${c.padEnd(11)} (absent)`;
          const lt = p.longTerm === null ? "longTerm per parameter" : p.longTerm ? "FOLL_LONGTERM" : "short";
          return `    ${c.padEnd(11)} ${p.reference}, write ${p.write}, ${lt}, release ${p.release}, policy ${p.policy}`;
        }),
        "  sources:",
        ...k.features.map((f) => `    ${f}: ${FEATURES[f].cite}`),
        `    hz: ${HZ_CITE}`,
      ];
      process.stdout.write(lines.join("\n") + "\n");
    });
}

function presetOrUsage(id: string) {
  try {
    return kernelPreset(id);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
