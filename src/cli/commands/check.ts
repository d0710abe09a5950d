/**
 * `pinsim check [SCENARIO…] [--policy ID] [--variant NAME] [--json] [--max-states N] [--table]
 *  [--no-reduce] [--bitstate N] [--workers N] [--no-budget] [--witness INCIDENT --format svg,png,txt --out DIR]`
 *
 * With no scenario, judges every file of data/scenarios/ as tools/memory-model's judge
 * script does: each verdict against the file's `Result` lines, exit 1 on any mismatch.
 * `--witness` draws the shortest witness of an incident as a message-sequence chart.
 * The search runs in a worker thread (check-compute.ts, src/cli/task.ts): SIGINT and
 * SIGTERM stop it at once, exit 130 and 143, no witness file half-written.
 */
import type { Command } from "commander";
import { POLICY_IDS } from "../../model/policy-ids.js";
import { BUDGET } from "../../model/budget.js";
import writeFileAtomic from "write-file-atomic";
import { runTask } from "../task.js";
import { stopOnSignals } from "../stop.js";
import { computeCheck, type CheckOpts, type CheckOutput } from "./check-compute.js";

export { SCENARIO_DIR, witnessChart, type CheckOpts } from "./check-compute.js";

// An empty name (`--policy ''`, `--policy ,`) is kept, to be refused as unknown: never an empty list that judges nothing.
const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(",")];

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
    .option(
      "--bitstate <log2bits>",
      "bitstate mode (SPIN's -DBITSTATE): a Bloom filter of 2^N bits (10..34) as the visited set; Never then carries the probability of a missed state",
    )
    .option(
      "--workers <n>",
      "worker threads of each search (1..64, at most the core count unless --no-budget): the state store partitioned by hash; same verdicts, witnesses and state counts as with 1",
      "1",
    )
    .option(
      "--no-budget",
      `lift the soft budgets: more --workers than this machine's cores, more than ${BUDGET.searchesPerCheck} searches, a search of more than ${BUDGET.rootsPerSearch} roots or than --max-states`,
    )
    .option("--witness <incident>", "draw the shortest witness of this incident for each run that reaches it")
    .option(
      "--format <list>",
      "with --witness: svg, png, txt (repeatable or comma-separated; default: txt)",
      (v: string, prev?: string) => (prev === undefined ? v : `${prev},${v}`),
    )
    .option("--out <dir>", "with --witness: where the files go (default: witnesses)")
    .action(async (files: string[], opts: CheckOpts) => {
      const signal = stopOnSignals();
      state.code = writeCheckOutput(await runTask("check", { files, opts: { ...opts } }, signal));
    });
}

/** Write the witness files (each atomically: a whole file or none) and the text; returns the exit code. */
export function writeCheckOutput(r: CheckOutput): number {
  for (const f of r.files) writeFileAtomic.sync(f.path, typeof f.data === "string" ? f.data : Buffer.from(f.data));
  process.stdout.write(r.stdout);
  return r.code;
}

/** The command's work in the calling thread; returns the exit code. @throws UsageError on bad input. */
export function runCheck(files: string[], opts: CheckOpts): number {
  return writeCheckOutput(computeCheck({ files, opts }));
}
