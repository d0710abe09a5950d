/**
 * `pinsim check [SCENARIO…] [--policy ID] [--variant NAME] [--json] [--max-states N] [--table]`
 *
 * With no scenario, judges every file of data/scenarios/ as tools/memory-model's judge
 * script does: each verdict against the file's `Result` lines, exit 1 on any mismatch.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Command } from "commander";
import {
  ScenarioError, formatVerdictTable, judge, loadScenario, loadScenarioDir, runJson, runScenario, verdictTable,
  type Scenario,
} from "../../checker/index.js";
import { FAILURE_ID, INCIDENTS } from "../../checker/verdict.js";
import { POLICY_IDS, type PolicyId } from "../../policies/ids.js";
import { EXIT, UsageError } from "../errors.js";

/** data/scenarios/ of the package (dist/cli/commands/ → the package root). */
export const SCENARIO_DIR = fileURLToPath(new URL("../../../data/scenarios/", import.meta.url));

interface CheckOpts {
  policy?: string[];
  variant?: string[];
  json?: boolean;
  maxStates?: string;
  table?: boolean;
  verbose?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(",").filter(Boolean)];

export function registerCheck(program: Command, state: { code: number }): void {
  program
    .command("check")
    .description("explore every interleaving of the scenarios' actors and judge the verdicts")
    .argument("[scenario...]", "scenario files or names under data/scenarios/ (default: all of them)")
    .option("--policy <id>", "only this policy (repeatable or comma-separated); default: the scenario's Policies", collect)
    .option("--variant <name>", "only this variant (repeatable or comma-separated)", collect)
    .option("--max-states <n>", "stop a search after N distinct states (verdicts then Unknown)", "200000")
    .option("--json", "print {results: [...]} (or the table) as JSON")
    .option("--table", "the verdict table of all nine policies over the scenarios")
    .option("--verbose", "print every run's verdicts and shortest witnesses, not only those of mismatches")
    .action((files: string[], opts: CheckOpts) => {
      state.code = runCheck(files, opts);
    });
}

function parseOptions(opts: CheckOpts): { policies?: PolicyId[]; variants?: string[]; maxStates: number } {
  const raw = opts.maxStates ?? "200000";
  const maxStates = Number(raw);
  if (!/^\d+$/.test(raw) || maxStates < 1) throw new UsageError(`--max-states: expected a positive integer, got '${raw}'`);
  const bad = (opts.policy ?? []).find((p) => !(POLICY_IDS as readonly string[]).includes(p));
  if (bad !== undefined) throw new UsageError(`--policy: unknown policy '${bad}' (allowed: ${POLICY_IDS.join(", ")})`);
  return { policies: opts.policy as PolicyId[] | undefined, variants: opts.variant, maxStates };
}

function loadAll(files: string[]): Scenario[] {
  try {
    if (files.length === 0) return loadScenarioDir(SCENARIO_DIR);
    return files.map((f) => {
      if (existsSync(f)) return loadScenario(f);
      const named = join(SCENARIO_DIR, f.endsWith(".scenario") ? f : `${f}.scenario`);
      return loadScenario(existsSync(named) ? named : f);
    });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
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
        incidents: Object.fromEntries(INCIDENTS.map((k) => {
          const c = table[p][k];
          return [k, { id: FAILURE_ID[k], verdict: c.verdict, ...(c.witness ? { scenario: c.witness.scenario, variant: c.witness.variant, witness: c.witness.steps } : {}) }];
        })),
      }));
      process.stdout.write(JSON.stringify({ table: rows }, null, 2) + "\n");
    } else process.stdout.write(formatVerdictTable(table));
    return EXIT.OK;
  }
  const runs = scenarios.flatMap((s) => runScenario(s, o));
  const { text, ok } = judge(runs, opts.verbose === true);
  if (opts.json) process.stdout.write(JSON.stringify({ results: runs.map(runJson) }, null, 2) + "\n");
  else process.stdout.write(text);
  return ok ? EXIT.OK : EXIT.FAILED;
}
