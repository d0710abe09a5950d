/**
 * `pinsim run --policy ID [--pin-duration 60] … [--config F.json] [--seed N] [--json]`
 */
import type { Command } from "commander";
import { simulate } from "../../engine/simulate.js";
import { METRICS, type RunResult } from "../../model/metrics.js";
import { addParamFlags, paramsFromOptions } from "../params-flags.js";

export function registerRun(program: Command, _state: { code: number }): void {
  const cmd = program
    .command("run")
    .description("run one simulation and print every incident and cost")
    .option("--config <file>", "JSON object of parameters (flags override it)")
    .option("--json", "print the RunResult as JSON");
  addParamFlags(cmd);
  cmd.action((opts: Record<string, unknown>) => {
    const result = simulate(paramsFromOptions(opts));
    process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatRun(result));
  });
}

/** A readable summary of one run: the parameters, then every metric with its meaning. */
export function formatRun(r: RunResult): string {
  const lines: string[] = [];
  lines.push(`${r.pinsim}, ${r.prng}`);
  lines.push(`policy ${r.params.policy}, seed ${r.params.seed}, ${r.events} events`);
  const p = Object.entries(r.params).filter(([k]) => k !== "policy" && k !== "seed");
  for (let i = 0; i < p.length; i += 3) {
    lines.push("  " + p.slice(i, i + 3).map(([k, v]) => `${k}=${JSON.stringify(v)}`.padEnd(30)).join(" ").trimEnd());
  }
  lines.push("");
  const w = Math.max(...METRICS.map((m) => m.name.length));
  for (const m of METRICS) {
    const v = r.metrics[m.name];
    const shown = v === null ? "-" : m.unit === "seconds" ? v.toFixed(2) + " s" : String(v);
    lines.push(`${m.name.padEnd(w)}  ${shown.padStart(12)}  ${m.group === "cost" ? "(cost) " : ""}${m.description}`);
  }
  return lines.join("\n") + "\n";
}
