/**
 * `pinsim check [SCENARIO…] [--policy ID] [--variant NAME] [--json] [--max-states N] [--table]
 *  [--no-reduce] [--witness INCIDENT --format svg,png,txt --out DIR]`
 *
 * With no scenario, judges every file of data/scenarios/ as tools/memory-model's judge
 * script does: each verdict against the file's `Result` lines, exit 1 on any mismatch.
 * `--witness` draws the shortest witness of an incident as a message-sequence chart.
 */
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Command } from "commander";
import {
  formatVerdictTable,
  judge,
  loadScenario,
  loadScenarioDir,
  runJson,
  runScenario,
  verdictTable,
  type Scenario,
} from "../../checker/index.js";
import { FAILURE_ID, INCIDENTS, type IncidentName } from "../../checker/verdict.js";
import type { ScenarioRun } from "../../checker/judge.js";
import { plotSvg, svgToPng, witnessPlot, witnessText, type WitnessChart } from "../../plot/index.js";
import { POLICY_IDS, type PolicyId } from "../../model/policy-ids.js";
import { EXIT, UsageError } from "../errors.js";
import { parseIntegerFlag } from "../../numbers.js";
import { ensureOutputDir } from "../../out-dir.js";

/** data/scenarios/ of the package (dist/cli/commands/ → the package root). */
export const SCENARIO_DIR = fileURLToPath(new URL("../../../data/scenarios/", import.meta.url));

interface CheckOpts {
  policy?: string[];
  variant?: string[];
  json?: boolean;
  maxStates?: string;
  table?: boolean;
  verbose?: boolean;
  /** false with --no-reduce. */
  reduce?: boolean;
  witness?: string;
  format?: string;
  out?: string;
}

const WITNESS_FORMATS = ["svg", "png", "txt"] as const;

const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(",").filter(Boolean)];

/** Register `pinsim check` (the interleaving checker over the scenarios); its exit code goes to `state.code` (1 on a verdict mismatch). */
export function registerCheck(program: Command, state: { code: number }): void {
  program
    .command("check")
    .description("explore every interleaving of the scenarios' actors and judge the verdicts")
    .argument("[scenario...]", "scenario files or names under data/scenarios/ (default: all of them)")
    .option(
      "--policy <id>",
      "only this policy (repeatable or comma-separated); default: the scenario's Policies",
      collect,
    )
    .option("--variant <name>", "only this variant (repeatable or comma-separated)", collect)
    .option("--max-states <n>", "stop a search after N distinct states (verdicts then Unknown)", "1000000")
    .option("--json", "print {results: [...]} (or the table) as JSON")
    .option("--table", `the verdict table of all ${POLICY_IDS.length} built-in policies over the scenarios`)
    .option("--verbose", "print every run's verdicts and shortest witnesses, not only those of mismatches")
    .option("--no-reduce", "explore every interleaving (no partial-order reduction): same verdicts, more states")
    .option("--witness <incident>", "draw the shortest witness of this incident for each run that reaches it")
    .option("--format <list>", "with --witness: comma-separated svg, png, txt", "txt")
    .option("--out <dir>", "with --witness: where the files go", "witnesses")
    .action((files: string[], opts: CheckOpts) => {
      state.code = runCheck(files, opts);
    });
}

function parseOptions(opts: CheckOpts): {
  policies?: PolicyId[];
  variants?: string[];
  maxStates: number;
  reduce: boolean;
} {
  const maxStates = parseIntegerFlag("--max-states", opts.maxStates ?? "1000000", 1);
  const bad = (opts.policy ?? []).find((p) => !(POLICY_IDS as readonly string[]).includes(p));
  if (bad !== undefined) throw new UsageError(`--policy: unknown policy '${bad}' (allowed: ${POLICY_IDS.join(", ")})`);
  return {
    policies: opts.policy as PolicyId[] | undefined,
    variants: opts.variant,
    maxStates,
    reduce: opts.reduce !== false,
  };
}

/** Scenario errors (ScenarioError, an InputError) reach the CLI's one catch (src/cli/index.ts): one line, exit 2. */
function loadAll(files: string[]): Scenario[] {
  if (files.length === 0) return loadScenarioDir(SCENARIO_DIR);
  return files.map((f) => {
    if (existsSync(f)) return loadScenario(f);
    const named = join(SCENARIO_DIR, f.endsWith(".scenario") ? f : `${f}.scenario`);
    return loadScenario(existsSync(named) ? named : f);
  });
}

/** The command's work; returns the exit code. @throws UsageError on bad input. */
export function runCheck(files: string[], opts: CheckOpts): number {
  const o = parseOptions(opts);
  const scenarios = loadAll(files);
  if (o.variants) {
    const missing = o.variants.find((v) => !scenarios.some((s) => s.variants.some((x) => x.name === v)));
    if (missing !== undefined) {
      const known = [...new Set(scenarios.flatMap((s) => s.variants.map((v) => v.name)))];
      throw new UsageError(`--variant: no scenario has a variant '${missing}' (known: ${known.join(", ")})`);
    }
  }
  if (opts.table) {
    const table = verdictTable(scenarios, { maxStates: o.maxStates });
    if (opts.json) {
      const rows = POLICY_IDS.map((p) => ({
        policy: p,
        incidents: Object.fromEntries(
          INCIDENTS.map((k) => {
            const c = table[p][k];
            return [
              k,
              {
                id: FAILURE_ID[k],
                verdict: c.verdict,
                ...(c.witness
                  ? { scenario: c.witness.scenario, variant: c.witness.variant, witness: c.witness.steps }
                  : {}),
              },
            ];
          }),
        ),
      }));
      process.stdout.write(JSON.stringify({ table: rows }, null, 2) + "\n");
    } else process.stdout.write(formatVerdictTable(table));
    return EXIT.OK;
  }
  // --witness's options (and its --out) are checked before the search, not after it.
  const w = opts.witness !== undefined ? witnessOptions(opts) : null;
  const runs = scenarios.flatMap((s) => runScenario(s, o));
  if (w) return drawWitnesses(runs, w);
  const { text, ok } = judge(runs, opts.verbose === true);
  if (opts.json) process.stdout.write(JSON.stringify({ results: runs.map(runJson) }, null, 2) + "\n");
  else process.stdout.write(text);
  return ok ? EXIT.OK : EXIT.FAILED;
}

/** The chart of one run's witness of `incident`, or null if the run never reaches it. */
export function witnessChart(r: ScenarioRun, incident: IncidentName): WitnessChart | null {
  const steps = r.result.witnesses[incident];
  if (!steps) return null;
  return {
    scenario: r.scenario,
    policy: r.policy,
    variant: r.variant,
    incident,
    actors: r.result.actors,
    steps,
    choices: r.result.choices[incident] ?? [],
  };
}

/** --witness, --format and --out checked, the output directory created. @throws InputError (one line). */
function witnessOptions(opts: CheckOpts): { incident: IncidentName; formats: string[]; out: string } {
  const incident = opts.witness!;
  if (!(INCIDENTS as readonly string[]).includes(incident)) {
    throw new UsageError(`--witness: unknown incident '${incident}' (allowed: ${INCIDENTS.join(", ")})`);
  }
  const formats = (opts.format ?? "txt")
    .split(",")
    .map((f) => f.trim())
    .filter(Boolean);
  const bad = formats.find((f) => !(WITNESS_FORMATS as readonly string[]).includes(f));
  if (bad !== undefined || formats.length === 0) {
    throw new UsageError(
      `--format: expected a comma-separated list of ${WITNESS_FORMATS.join(", ")}, got '${opts.format}'`,
    );
  }
  const out = opts.out ?? "witnesses";
  ensureOutputDir(out);
  return { incident: incident as IncidentName, formats, out };
}

/** --witness: write each run's chart in each format; the text also goes to stdout. Exit 1 if no run reaches it. */
function drawWitnesses(
  runs: ScenarioRun[],
  { incident, formats, out }: { incident: IncidentName; formats: string[]; out: string },
): number {
  let drawn = 0;
  for (const r of runs) {
    const chart = witnessChart(r, incident);
    if (!chart) {
      process.stdout.write(
        `${r.scenario} ${r.policy}/${r.variant}: ${incident} is ${r.result.verdicts[incident]}, no witness\n`,
      );
      continue;
    }
    drawn++;
    const stem = join(out, `${r.scenario}.${r.policy}.${r.variant}.${incident}`);
    const text = witnessText(chart);
    let svg: string | null = null;
    for (const f of formats) {
      if (f === "txt") writeFileSync(`${stem}.txt`, text);
      else {
        svg ??= plotSvg(witnessPlot(chart));
        writeFileSync(`${stem}.${f}`, f === "svg" ? svg : svgToPng(svg));
      }
    }
    process.stdout.write(text + `written: ${formats.map((f) => `${stem}.${f}`).join(", ")}\n\n`);
  }
  return drawn > 0 ? EXIT.OK : EXIT.FAILED;
}
