/**
 * `pinsim run --policy ID [--pin-duration 60] … [--config F.json] [--seed N] [--json]`
 */
import type { Command } from "commander";
import type { CleanDelayStats } from "../../engine/clean-delays.js";
import type { RunResultWithTrace } from "../../engine/simulate.js";
import { METRICS } from "../../model/metrics.js";
import { stopOnSignals } from "../stop.js";
import { runTask } from "../task.js";
import { addParamFlags, paramsFromOptions } from "../params-flags.js";

/** Register `pinsim run` (one simulation; a flag per parameter of the parameter table). */
export function registerRun(program: Command, _state: { code: number }): void {
  const cmd = program
    .command("run")
    .description("run one simulation and print every incident and cost")
    .option("--config <file>", "JSON object of parameters (flags override it)")
    .option("--json", "print the RunResult as JSON")
    .option("--trace-clean", "record clean delays (V1/V16): dirtying to first clean, by the inode's state")
    .option("--no-budget", "run even beyond the magnitude budgets (expected events, memory; src/model/budget.ts)");
  addParamFlags(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    // The run goes to a worker thread (src/cli/task.ts): SIGINT/SIGTERM stop it at once.
    const signal = stopOnSignals();
    const result = await runTask(
      "simulate",
      {
        params: paramsFromOptions(opts),
        options: { traceClean: opts.traceClean === true },
        budget: opts.budget !== false,
      },
      signal,
    );
    process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatRun(result));
  });
}

/** A readable summary of one run: the parameters, then every metric with its meaning. */
export function formatRun(r: RunResultWithTrace): string {
  const lines: string[] = [];
  lines.push(`${r.pinsim}, ${r.prng}`);
  lines.push(`policy ${r.params.policy}, seed ${r.params.seed}, ${r.events} events`);
  const p = Object.entries(r.params).filter(([k]) => k !== "policy" && k !== "seed");
  for (let i = 0; i < p.length; i += 3) {
    lines.push(
      "  " +
        p
          .slice(i, i + 3)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`.padEnd(30))
          .join(" ")
          .trimEnd(),
    );
  }
  lines.push("");
  const w = Math.max(...METRICS.map((m) => m.name.length));
  for (const m of METRICS) {
    const v = r.metrics[m.name];
    const shown = v === null ? "-" : m.unit === "seconds" ? v.toFixed(2) + " s" : String(v);
    lines.push(`${m.name.padEnd(w)}  ${shown.padStart(12)}  ${m.group === "cost" ? "(cost) " : ""}${m.description}`);
  }
  lines.push("");
  for (const [name, q] of Object.entries(r.rates)) {
    const v = q.value === null ? "-" : q.value.toPrecision(4);
    lines.push(`${name.padEnd(w)}  ${v.padStart(12)}  = ${q.numerator} / ${q.denominator}`);
  }
  lines.push(
    r.crashedAt === null
      ? "ran to the end"
      : `crashed at ${r.crashedAt.toFixed(3)} s (ext4 BUG on a dirty page without buffers)`,
  );
  if (r.finalSync) {
    const s = Object.entries(r.finalSync)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    lines.push(`final sync(2), counted apart: ${s || "nothing to write"}`);
  }
  if (r.cleanDelays) {
    const c = r.cleanDelays;
    // E and P as the delays below are shown (ms), without trailing zeros: P 5.143 s at --hz 7.
    const sec = (x: number) => String(Number(x.toFixed(3)));
    lines.push(`clean delays (E ${sec(c.expire)} s, P ${sec(c.period)} s, window [E, E + P)):`);
    lines.push(
      cleanLine("dirtied in a clean inode", c.cleanInode),
      cleanLine("dirtied in a dirty inode", c.dirtyInode),
    );
  }
  return lines.join("\n") + "\n";
}

function cleanLine(what: string, s: CleanDelayStats): string {
  if (s.count === 0) return `  ${what}: none`;
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(3));
  return `  ${what}: n ${s.count}, min ${f(s.min)}, mean ${f(s.mean)}, max ${f(s.max)} s, in window ${f(s.fractionInWindow)}`;
}
