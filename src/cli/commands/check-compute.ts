/**
 * The work of `pinsim check` as a pure function (src/cli/commands/check.ts prints and
 * writes its answer): parse the options, load the scenarios, search, judge, draw. It runs
 * in a worker thread (src/cli/task.ts) so that SIGINT and SIGTERM stop a long search at
 * once, and returns plain data: the text for stdout, the witness files to write, the exit code.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  formatVerdictTable,
  judge,
  loadScenario,
  loadScenarioDir,
  runJson,
  runScenario,
  verdictTable,
  type Scenario,
  type Variant,
} from "../../checker/index.js";
import { checkRoots } from "../../checker/roots.js";
import { FAILURE_ID, INCIDENTS, type IncidentName } from "../../checker/verdict.js";
import type { ScenarioRun } from "../../checker/judge.js";
import { plotSvg, svgToPng, witnessPlot, witnessText, type WitnessChart } from "../../plot/index.js";
import { POLICY_IDS, type PolicyId } from "../../model/policy-ids.js";
import { EXIT, UsageError } from "../errors.js";
import { parseIntegerFlag } from "../../numbers.js";
import { InputError } from "../../errors.js";
import { MAX_WORKERS } from "../../checker/parallel.js";
import { checkSearches, checkWorkers } from "../../model/budget.js";
import { checkOutputFile, ensureOutputDir } from "../../out-dir.js";

/** data/scenarios/ of the package (dist/cli/commands/ → the package root). */
export const SCENARIO_DIR = fileURLToPath(new URL("../../../data/scenarios/", import.meta.url));

/** The options of `pinsim check`, as commander gives them. */
export interface CheckOpts {
  policy?: string[];
  variant?: string[];
  json?: boolean;
  maxStates?: string;
  table?: boolean;
  verbose?: boolean;
  /** false with --no-reduce. */
  reduce?: boolean;
  /** --bitstate LOG2BITS: a Bloom filter of 2^LOG2BITS bits as the visited set. */
  bitstate?: string;
  /** --workers N: worker threads of each search (default 1). */
  workers?: string;
  /** false with --no-budget: --workers may exceed the core count, a check more than BUDGET.searchesPerCheck searches. */
  budget?: boolean;
  witness?: string;
  format?: string;
  out?: string;
}

/** What computeCheck is given: the scenario arguments and the options. */
export interface CheckInput {
  files: string[];
  opts: CheckOpts;
}

/** What computeCheck answers: stdout's text, files to write (path → text or PNG bytes), the exit code. */
export interface CheckOutput {
  stdout: string;
  files: { path: string; data: string | Uint8Array }[];
  code: number;
}

const WITNESS_FORMATS = ["svg", "png", "txt"] as const;

function parseOptions(opts: CheckOpts): {
  policies?: PolicyId[];
  variants?: string[];
  maxStates: number;
  reduce: boolean;
  bitstate?: number;
  workers: number;
} {
  const maxStates = parseIntegerFlag("--max-states", opts.maxStates ?? "1000000", 1);
  const bad = (opts.policy ?? []).find((p) => !(POLICY_IDS as readonly string[]).includes(p));
  if (bad !== undefined) throw new InputError("--policy", bad, POLICY_IDS.join(", "));
  return {
    // A name given twice is searched once.
    policies: opts.policy && ([...new Set(opts.policy)] as PolicyId[]),
    variants: opts.variant && [...new Set(opts.variant)],
    maxStates,
    reduce: opts.reduce !== false,
    ...(opts.bitstate !== undefined ? { bitstate: parseIntegerFlag("--bitstate", opts.bitstate, 10, 34) } : {}),
    workers: parseWorkers(opts),
  };
}

/**
 * --workers: 1..MAX_WORKERS, at most the core count unless --no-budget (as `sweep`'s, src/model/budget.ts
 * checkWorkers), and 1 with --bitstate (a bitstate search runs in one thread). @throws InputError
 */
function parseWorkers(opts: CheckOpts): number {
  const n = parseIntegerFlag("--workers", opts.workers ?? "1", 1, MAX_WORKERS);
  if (n > 1 && opts.bitstate !== undefined)
    throw new InputError("--workers", opts.workers, "1 with --bitstate (a bitstate search runs in one thread)");
  checkWorkers(n, { field: "--workers", min: 1, enabled: opts.budget !== false });
  return n;
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

/** The command's work, nothing printed or written. @throws UsageError (an InputError) on bad input. */
export function computeCheck({ files, opts }: CheckInput): CheckOutput {
  refuseIgnoredFlags(opts);
  const o = parseOptions(opts);
  const scenarios = loadAll(files);
  if (o.variants) {
    const missing = o.variants.find((v) => !scenarios.some((s) => s.variants.some((x) => x.name === v)));
    if (missing !== undefined) {
      const known = [...new Set(scenarios.flatMap((s) => s.variants.map((v) => v.name)))];
      throw new UsageError(`--variant: no scenario has a variant '${missing}' (known: ${known.join(", ")})`);
    }
  }
  const enabled = opts.budget !== false;
  checkSearches(searchCount(scenarios, opts.table ? POLICY_IDS.length : undefined, o), {
    enabled,
    table: opts.table === true,
  });
  // Each search's roots counted before any is built (src/checker/roots.ts).
  for (const s of scenarios) checkRoots(s, variantsRun(s, o), { maxStates: o.maxStates, enabled });
  if (opts.table) return { stdout: tableText(scenarios, o, opts.json === true), files: [], code: EXIT.OK };
  // --witness's options (and its --out) are checked before the search, not after it.
  const w = opts.witness !== undefined ? witnessOptions(opts) : null;
  const runs = scenarios.flatMap((s) => runScenario(s, o));
  if (w) return drawWitnesses(runs, w);
  const { text, ok } = judge(runs, opts.verbose === true);
  const stdout = opts.json ? JSON.stringify({ results: runs.map(runJson) }, null, 2) + "\n" : text;
  return { stdout, files: [], code: ok ? EXIT.OK : EXIT.FAILED };
}

/**
 * A flag the command would not use is refused, never silently dropped: --table judges
 * every policy and variant, and --format and --out only shape --witness's files.
 * @throws UsageError (one line, exit 2).
 */
function refuseIgnoredFlags(opts: CheckOpts): void {
  if (opts.table) {
    const given = (["policy", "variant", "witness", "verbose"] as const).find((k) => opts[k] !== undefined);
    if (given !== undefined)
      throw new UsageError(`--${given}: not with --table (the table judges every policy over every variant)`);
  }
  if (opts.witness === undefined) {
    const given = (["format", "out"] as const).find((k) => opts[k] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given}: only with --witness (it shapes the witness files)`);
  }
}

/** Searches the command would run: each scenario's policies (or `policies` of them, the table's) × its variants. */
function searchCount(
  scenarios: Scenario[],
  policies: number | undefined,
  o: { policies?: PolicyId[]; variants?: string[] },
): number {
  let n = 0;
  for (const s of scenarios) n += (policies ?? (o.policies ?? s.policies).length) * variantsRun(s, o).length;
  return n;
}

/** The variants of `s` the command runs: those --variant names, or all (the table's: --variant is refused with --table). */
const variantsRun = (s: Scenario, o: { variants?: string[] }): Variant[] =>
  s.variants.filter((v) => !o.variants || o.variants.includes(v.name));

/** `--table`: the verdict table of every policy, as text or JSON. */
function tableText(scenarios: Scenario[], o: { maxStates: number; workers: number }, json: boolean): string {
  const table = verdictTable(scenarios, { maxStates: o.maxStates, workers: o.workers });
  if (!json) return formatVerdictTable(table);
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
  return JSON.stringify({ table: rows }, null, 2) + "\n";
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

/** --witness: each run's chart in each format; the text also goes to stdout. Exit 1 if no run reaches it. */
function drawWitnesses(
  runs: ScenarioRun[],
  { incident, formats, out }: { incident: IncidentName; formats: string[]; out: string },
): CheckOutput {
  let stdout = "";
  const files: CheckOutput["files"] = [];
  for (const r of runs) {
    const chart = witnessChart(r, incident);
    if (!chart) {
      stdout += `${r.scenario} ${r.policy}/${r.variant}: ${incident} is ${r.result.verdicts[incident]}, no witness\n`;
      continue;
    }
    const name = `${r.scenario}.${r.policy}.${r.variant}.${incident}`,
      stem = join(out, name);
    // each file's name checked before any is written: a directory or a link there is one line, exit 2
    for (const f of formats) checkOutputFile(out, `${name}.${f}`);
    const text = witnessText(chart);
    let svg: string | null = null;
    for (const f of formats) {
      if (f === "txt") files.push({ path: `${stem}.txt`, data: text });
      else {
        svg ??= plotSvg(witnessPlot(chart));
        files.push({ path: `${stem}.${f}`, data: f === "svg" ? svg : svgToPng(svg) });
      }
    }
    stdout += text + `written: ${formats.map((f) => `${stem}.${f}`).join(", ")}\n\n`;
  }
  return { stdout, files, code: files.length > 0 ? EXIT.OK : EXIT.FAILED };
}
