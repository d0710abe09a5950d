/**
 * Judging scenarios as tools/memory-model's judge script does: run every policy and
 * variant a scenario names, compare each verdict with its `Result` lines, and report
 * mismatches. Also the verdict table of every policy over the whole scenario set.
 */
import { readdirSync } from "node:fs";
import { InputError } from "../errors.js";
import { readRegularFile } from "../input-file.js";
import { join } from "node:path";
import type { PolicyId } from "../model/policy-ids.js";
import { POLICY_IDS } from "../model/policy-ids.js";
import { searchConfig, type CheckOptions, type CheckResult, type WitnessStep } from "./explore.js";
import { applyVariant } from "./choices.js";
import { checkDioDest } from "./scenario-checks.js";
import { expectedVerdicts, parseScenario, ScenarioError, type Scenario } from "./scenario.js";
import { FAILURE_ID, INCIDENTS, verdictMatches, type IncidentName, type Judgement, type Verdict } from "./verdict.js";
import { formatWitness, formatWitnessInline, TEXT_WIDTH, wrap } from "./witness.js";

/**
 * Read and parse one scenario file: a regular file of at most HARD.configBytes (`/dev/zero`
 * or a FIFO is refused before a byte is read; they used to never return).
 * @throws ScenarioError (file:line: what was expected).
 */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readRegularFile(path, "scenario");
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const why = e.allowed !== undefined ? e.allowed : (/\(([A-Z]+)\)$/.exec(e.message)?.[1] ?? e.message);
    throw new ScenarioError(path, 0, `a readable scenario file (${why})`);
  }
  return parseScenario(text, path);
}

/** Every `*.scenario` in a directory, sorted by file name. */
export function loadScenarioDir(dir: string): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".scenario"))
    .sort()
    .map((f) => loadScenario(join(dir, f)));
}

/** One policy × variant of one scenario, checked and judged against its `Result` lines. */
export interface ScenarioRun {
  /** The scenario's name. */
  scenario: string;
  /** The policy checked. */
  policy: PolicyId;
  /** The variant checked (`base` first). */
  variant: string;
  /** What checkConfig found. */
  result: CheckResult;
  /** Expected verdicts that apply (empty for a policy the scenario does not name). */
  expected: Partial<Record<IncidentName, Verdict>>;
  /** Incidents whose verdict is not the expected one (empty: the run agrees with the file). */
  mismatches: {
    /** The incident judged. */
    incident: IncidentName;
    /** The verdict the scenario states. */
    expected: Verdict;
    /** The verdict found. */
    got: Judgement;
  }[];
  /**
   * Some incident is reached only where the run departs from the policy as specified
   * (departsFromSpec: the reclaim guard switched from the policy's default, or GUP-fast
   * without the pte recheck); CheckResult.inSpec has the in-spec witnesses.
   */
  offSpec: boolean;
}

/** Options of {@link runScenario}. */
export interface RunOptions extends CheckOptions {
  /** Only these policies (default: the scenario's `Policies`). */
  policies?: readonly PolicyId[];
  /** Only these variants (default: all the scenario declares, `base` first). */
  variants?: readonly string[];
}

/** Check one scenario under each of its policies and variants. */
export function runScenario(s: Scenario, options: RunOptions = {}): ScenarioRun[] {
  const policies = options.policies ?? s.policies;
  const variants = s.variants.filter((v) => !options.variants || options.variants.includes(v.name));
  const runs: ScenarioRun[] = [];
  // Without a Policies: line (and no --policy), each variant takes its own kernel's policy:
  // checkConfig without a policy runs runEnv's policyPerCaller.
  const fromKernel = s.policiesFromKernel === true && options.policies === undefined;
  // `dest` is checked across the variants (one may use what another sets), not per variant.
  checkDioDest(s, s.file);
  for (const given of policies) {
    for (const v of variants) {
      const { pages, actors, knobs, coverage } = applyVariant(s, v);
      const config = { page: pages, knobs, actors, coverage };
      const result = searchConfig(fromKernel ? config : { ...config, policy: given }, options);
      const policy = result.policy as PolicyId;
      const expected = expectedVerdicts(s, policy, v.name);
      const mismatches = (Object.keys(expected) as IncidentName[])
        .filter((k) => !verdictMatches(result.verdicts[k], expected[k]!))
        .map((k) => ({ incident: k, expected: expected[k]!, got: result.verdicts[k] }));
      const offSpec = INCIDENTS.some((k) => result.witnesses[k] && !result.inSpec[k]);
      runs.push({ scenario: s.name, policy, variant: v.name, result, expected, mismatches, offSpec });
    }
  }
  return runs;
}

/** The `--json` shape of a run. */
export function runJson(r: ScenarioRun): {
  /** The scenario's name. */
  scenario: string;
  /** The policy checked. */
  policy: PolicyId;
  /** The variant checked. */
  variant: string;
  /** Distinct states explored. */
  states: number;
  /** The verdict of every incident. */
  verdicts: Record<IncidentName, Judgement>;
  /** Shortest witness of each incident that happens. */
  witnesses: Partial<Record<IncidentName, WitnessStep[]>>;
  /** Expected verdicts of the scenario's `Result` lines that apply. */
  expected: Partial<Record<IncidentName, Verdict>>;
  /** Every expected verdict was found. */
  ok: boolean;
  /** In bitstate mode only: the filter's bits, bits per state and the probability of a missed state. */
  bitstate?: CheckResult["bitstate"];
} {
  return {
    scenario: r.scenario,
    policy: r.policy,
    variant: r.variant,
    states: r.result.states,
    verdicts: r.result.verdicts,
    witnesses: r.result.witnesses,
    expected: r.expected,
    ok: r.mismatches.length === 0,
    ...(r.result.bitstate ? { bitstate: r.result.bitstate } : {}),
  };
}

/**
 * One run as the judge prints it: `Ok`, `MISMATCH` or `-` (nothing expected), the run and
 * its state count on one line; then, for a mismatch or when `verbose`, the verdicts and
 * the witnesses (a mismatch's own, or every judged incident's when verbose).
 */
export function formatRun(r: ScenarioRun, verbose = false): string {
  const res = r.result;
  const judged = Object.keys(r.expected).length > 0;
  const status = !judged ? "-" : r.mismatches.length ? "MISMATCH" : "Ok";
  const facts = `${res.states} states${res.boundHit ? ", BOUND HIT" : ""}${res.deadlocks ? `, ${res.deadlocks} DEADLOCKS` : ""}`;
  const out: string[] = [`${status.padEnd(9)}${r.scenario} ${r.policy}/${r.variant} (${facts})`];
  if (!verbose && r.mismatches.length === 0) return out[0] + "\n";
  const shown = judged
    ? (Object.keys(r.expected) as IncidentName[])
    : INCIDENTS.filter((k) => res.verdicts[k] !== "Never");
  const items = shown.map((k) => {
    const bad = r.mismatches.find((m) => m.incident === k);
    return bad ? `${k} ${bad.got} (expected ${bad.expected})` : `${k} ${res.verdicts[k]}`;
  });
  if (items.length) wrap(items.join(", "), TEXT_WIDTH - 2).forEach((l) => out.push("  " + l));
  for (const k of verbose ? shown : r.mismatches.map((m) => m.incident)) {
    const w = res.witnesses[k];
    if (!w) continue;
    out.push(`  witness of ${k} (${FAILURE_ID[k]}), ${w.length} steps:`);
    out.push(formatWitness(res.actors, w).trimEnd());
  }
  return out.join("\n") + "\n";
}

/** Judge runs: the text report and whether every judged verdict matched. */
export function judge(
  runs: ScenarioRun[],
  verbose = false,
): {
  /** The report, one block per run, then a summary line. */
  text: string;
  /** Every judged run agrees with its scenario. */
  ok: boolean;
} {
  const judged = runs.filter((r) => Object.keys(r.expected).length > 0);
  const bad = judged.filter((r) => r.mismatches.length > 0);
  const text =
    runs.map((r) => formatRun(r, verbose)).join("") +
    `\n${judged.length} judged, ${judged.length - bad.length} ok, ${bad.length} mismatched` +
    (runs.length > judged.length ? `, ${runs.length - judged.length} without expectation` : "") +
    "\n";
  return { text, ok: bad.length === 0 };
}

/** A cell of the verdict table: what one policy can reach over the whole scenario set. */
/** One cell of the verdict table: one policy × incident over the whole scenario set. */
export interface TableCell {
  /**
   * `reached`: Sometimes or Always in some run as the policy is specified; `variant`:
   * only in a variant that departs from it (ScenarioRun.offSpec); `Never` everywhere;
   * Unknown if a bound was hit somewhere and nothing reached it.
   */
  verdict: "reached" | "variant" | "Never" | "Unknown (bound hit)";
  /** Shortest witness over the scenario set (in-spec runs first), and where it was found. */
  witness?: {
    /** Scenario where the witness was found. */
    scenario: string;
    /** Its variant. */
    variant: string;
    /** The run's actors (witness columns). */
    actors: CheckResult["actors"];
    /** The steps, numbered from 1. */
    steps: WitnessStep[];
  };
}

/** The verdict table (docs/checker.md): for every policy, every incident's cell over the scenario set. */
export type VerdictTable = Record<PolicyId, Record<IncidentName, TableCell>>;

/** Run every scenario and variant under every policy and fold the verdicts per policy. */
export function verdictTable(scenarios: Scenario[], options: CheckOptions = {}): VerdictTable {
  const table = {} as VerdictTable;
  for (const policy of POLICY_IDS) {
    const row = {} as Record<IncidentName, TableCell>;
    for (const k of INCIDENTS) row[k] = { verdict: "Never" };
    for (const s of scenarios) {
      for (const run of runScenario(s, { ...options, policies: [policy] })) {
        for (const k of INCIDENTS) foldCell(row[k], k, s.name, run);
      }
    }
    table[policy] = row;
  }
  return table;
}

/** Fold one run's verdict on incident k into its table cell: an in-spec witness beats any off-spec one, then the shorter wins. */
function foldCell(cell: TableCell, k: IncidentName, scenario: string, run: ScenarioRun): void {
  const w = run.result.inSpec[k] ?? run.result.witnesses[k];
  if (!w) {
    if (run.result.verdicts[k].startsWith("Unknown") && cell.verdict === "Never") cell.verdict = "Unknown (bound hit)";
    return;
  }
  const kind = run.result.inSpec[k] ? "reached" : "variant";
  const better =
    !cell.witness ||
    (kind === "reached" && cell.verdict !== "reached") ||
    (kind === cell.verdict && w.length < cell.witness.steps.length);
  if (better) {
    cell.verdict = kind;
    cell.witness = { scenario, variant: run.variant, actors: run.result.actors, steps: w };
  }
}

/** The incidents' indexes in groups whose matrix lines, `w` wide for the policy, fit TEXT_WIDTH. */
function matrixColumns(ids: readonly string[], w: number): number[][] {
  const groups: number[][] = [[]];
  let width = w;
  ids.forEach((id, j) => {
    if (width + id.length + 1 > TEXT_WIDTH && groups[groups.length - 1].length) {
      groups.push([]);
      width = w;
    }
    groups[groups.length - 1].push(j);
    width += id.length + 1;
  });
  return groups;
}

/**
 * The table as text: a matrix of policies × failure modes (two when they do not fit TEXT_WIDTH; `x` reached, `v` only in a
 * variant off the policy's spec, `-` never, `?` unknown), then each policy's shortest
 * witness for each incident it reaches.
 */
export function formatVerdictTable(table: VerdictTable, witnesses = true): string {
  const ids = INCIDENTS.map((k) => FAILURE_ID[k]);
  const w = Math.max(...POLICY_IDS.map((p) => p.length));
  const out: string[] = [];
  const mark = { reached: "x", variant: "v", Never: "-", "Unknown (bound hit)": "?" } as const;
  // One space and the id's own width per column; the incidents that do not fit TEXT_WIDTH
  // go on in a second matrix below the first (matrixColumns).
  for (const cols of matrixColumns(ids, w)) {
    out.push(`${"policy".padEnd(w)}${cols.map((j) => ` ${ids[j]}`).join("")}`);
    for (const p of POLICY_IDS) {
      const marks = cols.map((j) => ` ${mark[table[p][INCIDENTS[j]].verdict].padStart(ids[j].length)}`);
      out.push(`${p.padEnd(w)}${marks.join("")}`);
    }
    out.push("");
  }
  wrap(
    "x reached in some scenario; v only in a variant off the policy's spec (reclaim guard " +
      "switched from its default, GUP-fast without the pte recheck, or a caller's own release); - never; ? unknown (bound hit).",
    TEXT_WIDTH,
  ).forEach((l) => out.push(l));
  wrap(INCIDENTS.map((k) => `${FAILURE_ID[k]} ${k}`).join(", ") + ".", TEXT_WIDTH).forEach((l) => out.push(l));
  if (witnesses) {
    for (const p of POLICY_IDS) {
      out.push("");
      out.push(`== ${p}`);
      const reached = INCIDENTS.filter((k) => table[p][k].witness);
      if (!reached.length) out.push("  no incident reached");
      for (const k of reached) {
        const c = table[p][k].witness!;
        const head = `${FAILURE_ID[k]} ${k}${table[p][k].verdict === "variant" ? " (v)" : ""}: ${c.scenario}/${c.variant}, ${c.steps.length} steps`;
        wrap(head, TEXT_WIDTH - 4).forEach((l, i) => out.push((i ? "    " : "  ") + l));
        out.push(formatWitnessInline(c.steps).trimEnd());
      }
    }
  }
  return out.join("\n") + "\n";
}
