/**
 * `pinsim policies`: the policies of docs/model.md#policies, a line each.
 */
import type { Command } from "commander";
import { POLICIES } from "../../policies/index.js";

/** Register `pinsim policies` (every built-in policy, a line each). */
export function registerPolicies(program: Command, _state: { code: number }): void {
  program
    .command("policies")
    .description("list the pin and release policies")
    .option("--json", "as JSON")
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        const rows = POLICIES.map(({ id, era, summary, reference, reclaimGuardDefault }) => ({
          id,
          era,
          summary,
          reference,
          reclaimGuardDefault,
        }));
        process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
        return;
      }
      const w = Math.max(...POLICIES.map((p) => p.id.length));
      for (const p of POLICIES) {
        process.stdout.write(
          `${p.id.padEnd(w)}  ${p.summary} [${p.era}; reclaim guard ${p.reclaimGuardDefault ? "on" : "off"}]\n`,
        );
      }
    });
}
