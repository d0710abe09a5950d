/**
 * Reading a results directory back: the manifest checked against its own config (and
 * against the command's, on a resume or merge), the journal read (journal.ts), the snapshot
 * files checked against it (snapshot.ts). Anything that is not what pinsim wrote is one
 * line, ResultsError, and nothing is changed.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { METRIC_NAMES } from "../model/metrics.js";
import { PACKAGE_VERSION } from "../version.js";
import { ResultsError } from "./errors.js";
import { canonicalJson } from "./hash.js";
import { readJournal } from "./journal.js";
import { buildManifest, configHash, makePlan, type SweepPlan } from "./plan.js";
import { checkRunsJsonl, checkSnapshotCsv, tables, type SnapshotCheck } from "./snapshot.js";
import { FILES, corrupted, hasResults, isOwnName, lstatOrNull, readText, type DoneRows } from "./store.js";
import { runColumns, summaryColumns } from "./table.js";
import type { Manifest, Row } from "./types.js";

const CELL = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const MANIFEST = z.object({
  name: z.string(),
  config: z.unknown(),
  configHash: z.string(),
  rootSeed: z.number(),
  prng: z.string(),
  pinsim: z.string(),
  git: z.string().nullable(),
  node: z.string(),
  axes: z.array(z.string()),
  metrics: z.array(z.string()),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
  points: z.array(z.object({ key: z.string(), axes: z.record(z.string(), CELL), status: z.enum(["pending", "done"]) })),
  failed: z
    .array(
      z
        .object({ key: z.string(), replicate: z.number().int(), attempts: z.number().int(), error: z.string() })
        .strict(),
    )
    .min(1)
    .optional(),
});
/** A results directory as read and checked by readResultsDir. */
export interface DirState {
  /** Its manifest (rebuilt when `recovered`). */
  manifest: Manifest;
  /** The sweep it holds: the command's plan, or the one its manifest's config makes. */
  plan: SweepPlan;
  /** Every finished point found (journal and snapshot), validated. */
  done: DoneRows;
  /** The points the manifest lists as done. */
  manifestDone: Set<number>;
  /** Journal records refused (bad checksum, torn, not of this sweep): one line each. Their points rerun. */
  badRecords: string[];
  /**
   * Finished points found in runs.jsonl with no journal record (records deleted, or the
   * journal of pinsim <= 0.1): a resume says so and journals them again.
   */
  unjournalled: number[];
  /** True when the manifest was missing and rebuilt from the expected plan and the journal. */
  recovered: boolean;
  /**
   * Snapshot files (runs.jsonl, runs.csv, summary.csv) that miss points the manifest lists
   * as done, one line each: left by a sweep killed between the manifest's rename and theirs
   * (a rerun rewrites them from the journal), or truncated (loadResults refuses them).
   */
  lagging: string[];
}

/**
 * Read and validate a results directory: null when it holds no manifest (and no results
 * file). With `expect`, the directory must hold that very sweep (config hash, shard and
 * pinsim version), else it is refused. Throws ResultsError, changing nothing.
 */
export function readResultsDir(dir: string, expect?: SweepPlan): DirState | null {
  const mpath = join(dir, FILES.manifest);
  refuseSymlinks(dir);
  const read = readManifest(dir, mpath, expect);
  if (!read) {
    if (expect) refuseForeign(dir);
    return null;
  }
  const { manifest, recovered } = read;
  if (expect) checkSameSweep(dir, manifest, expect);
  const plan = manifestPlan(mpath, manifest, expect);
  const byIndex = new Map(plan.points.map((p) => [p.index, p]));
  const columns = runColumns(plan.axes);
  const checkRows = (path: string, index: number, rows: Row[]) =>
    checkPointRows(plan, byIndex, columns, path, index, rows);
  const { done, badRecords, badIndex } = readJournal(dir, byIndex, checkRows);
  const journalled = new Set(done.keys());
  const v: SnapshotCheck = {
    plan,
    byIndex,
    byKey: new Map(plan.points.map((p) => [p.key, p])),
    columns,
    done,
    badIndex,
    checkRows,
  };
  const held = new Map<string, ReadonlySet<number> | null>();
  held.set(FILES.runsJsonl, checkRunsJsonl(dir, v));
  const tablesOf = memoTables(plan, done);
  held.set(
    FILES.runsCsv,
    checkSnapshotCsv(dir, FILES.runsCsv, columns, v, (only) => tablesOf(only).runs),
  );
  held.set(
    FILES.summary,
    checkSnapshotCsv(dir, FILES.summary, summaryColumns(plan.axes), v, (only) => tablesOf(only).summary),
  );
  const manifestDone = pointsDone(mpath, manifest, plan, done, badIndex);
  checkManifestMatches(mpath, manifest, plan, manifestDone);
  const lagging = laggingSnapshots(dir, held, manifestDone);
  return {
    unjournalled: [...done.keys()].filter((i) => !journalled.has(i)).sort((a, b) => a - b),
    manifest: recovered ? buildManifest(plan, manifestDone) : manifest,
    plan,
    done,
    manifestDone,
    badRecords,
    recovered,
    lagging,
  };
}

/** A snapshot file that misses points the manifest lists as done (absent: it holds none). */
function laggingSnapshots(
  dir: string,
  held: ReadonlyMap<string, ReadonlySet<number> | null>,
  manifestDone: ReadonlySet<number>,
): string[] {
  const out: string[] = [];
  for (const [name, set] of held) {
    const n = [...manifestDone].filter((i) => set?.has(i)).length;
    if (n < manifestDone.size)
      out.push(
        `${join(dir, name)}: ${set === null ? "missing" : `holds ${n} of the ${manifestDone.size} points manifest.json lists as done`}`,
      );
  }
  return out;
}

/**
 * An output directory without pinsim results must hold nothing else: a sweep or merge into
 * a directory of other files (notes.txt, a calibration) is refused, changing nothing.
 */
function refuseForeign(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  } // absent: created later
  const foreign = names.filter((n) => !isOwnName(n)).sort();
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, … (${foreign.length} entries)` : "");
    throw new ResultsError(
      `output directory ${dir} holds no pinsim results but other files (${shown}): give --out an empty or new directory`,
    );
  }
}

/** Results files are regular files: a symbolic link among them is refused. */
function refuseSymlinks(dir: string): void {
  for (const f of [FILES.manifest, FILES.runsCsv, FILES.runsJsonl, FILES.summary, FILES.points]) {
    if (lstatOrNull(join(dir, f))?.isSymbolicLink())
      throw corrupted(join(dir, f), "a symbolic link (results files are regular files)");
  }
}

/** The manifest, parsed and shape-checked, or rebuilt from `expect` when missing beside results; null in an empty directory. */
function readManifest(
  dir: string,
  mpath: string,
  expect?: SweepPlan,
): { manifest: Manifest; recovered: boolean } | null {
  let mtext = readText(mpath);
  let recovered = false;
  if (mtext === null) {
    if (!hasResults(dir)) return null;
    // Results without a manifest (a kill before the first manifest of pinsim <= 0.1, or a
    // deleted manifest): rebuild it from the command's own config; the journal and the
    // snapshot files are then checked against that config like any others.
    if (!expect)
      throw corrupted(
        mpath,
        "missing while results files exist (rerun the same pinsim sweep or merge command to rebuild it)",
      );
    mtext = JSON.stringify(buildManifest(expect, new Set()));
    recovered = true;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(mtext);
  } catch (e) {
    throw corrupted(mpath, `not valid JSON: ${(e as Error).message}`);
  }
  const mp = MANIFEST.safeParse(raw);
  if (!mp.success)
    throw corrupted(
      mpath,
      `not a pinsim manifest: ${mp.error.issues[0]?.path.join(".")} ${mp.error.issues[0]?.message}`,
    );
  return { manifest: raw as Manifest, recovered };
}

/** On a resume or merge: the directory must hold the command's sweep (config hash, shard, pinsim version). */
function checkSameSweep(dir: string, manifest: Manifest, expect: SweepPlan): void {
  if (manifest.configHash !== expect.configHash)
    throw new ResultsError(
      `output directory ${dir} holds sweep "${manifest.name}" with config hash ${manifest.configHash.slice(0, 12)}…, not this config (${expect.configHash.slice(0, 12)}…): use another --out or delete the directory`,
    );
  if (canonicalJson(manifest.shard) !== canonicalJson(expect.shard))
    throw new ResultsError(
      `output directory ${dir} holds shard ${showShard(manifest.shard)} of this sweep, not shard ${showShard(expect.shard)}: use another --out`,
    );
  if (manifest.pinsim !== `pinsim ${PACKAGE_VERSION}`)
    throw new ResultsError(
      `output directory ${dir} was written by ${manifest.pinsim}, this is pinsim ${PACKAGE_VERSION}: use another --out or delete the directory`,
    );
}

/** The sweep's plan (the command's, else the manifest config's), checked against the manifest's hash, grid, axes and metrics. */
function manifestPlan(mpath: string, manifest: Manifest, expect?: SweepPlan): SweepPlan {
  let plan: SweepPlan;
  try {
    plan = expect ?? makePlan(manifest.config, manifest.shard);
  } catch (e) {
    throw corrupted(mpath, `its config is invalid: ${(e as Error).message}`);
  }
  if (configHash(plan.config) !== manifest.configHash) throw corrupted(mpath, "configHash does not match its config");
  if (manifest.points.length !== plan.points.length || manifest.points.some((p, i) => p.key !== plan.points[i]!.key))
    throw corrupted(mpath, "its points are not the grid of its config");
  if (
    canonicalJson(manifest.axes) !== canonicalJson(plan.axes) ||
    canonicalJson(manifest.metrics) !== canonicalJson(METRIC_NAMES)
  )
    throw corrupted(mpath, "axes or metrics differ from this pinsim's");
  return plan;
}

/** Check one point's rows against the plan: its axis values, replicates, seeds, metrics. */
function checkPointRows(
  plan: SweepPlan,
  byIndex: ReadonlyMap<number, SweepPlan["points"][number]>,
  columns: string[],
  path: string,
  index: number,
  rows: Row[],
): void {
  const p = byIndex.get(index)!;
  const seeds = plan.seeds.get(index)!;
  if (rows.length !== seeds.length)
    throw corrupted(path, `point ${p.key} has ${rows.length} runs, expected ${seeds.length}`);
  rows.forEach((r, rep) => {
    if (canonicalJson(Object.keys(r)) !== canonicalJson(columns))
      throw corrupted(path, `a run of point ${p.key} has other columns`);
    for (const a of plan.axes)
      if (r[a] !== p.axes[a]) throw corrupted(path, `a run of point ${p.key} has ${a} = ${JSON.stringify(r[a])}`);
    if (r.replicate !== rep || r.seed !== seeds[rep])
      throw corrupted(path, `point ${p.key} replicate ${rep}: wrong replicate or seed`);
    for (const m of METRIC_NAMES)
      if (r[m] !== null && typeof r[m] !== "number") throw corrupted(path, `point ${p.key}: ${m} is not a number`);
  });
}

/** tables() of a set of points, each set rendered once (the CSV checks ask for the same set twice). */
function memoTables(plan: SweepPlan, done: DoneRows): (only: Set<number>) => ReturnType<typeof tables> {
  const rendered = new Map<string, ReturnType<typeof tables>>();
  return (only) => {
    const key = [...only].sort((a, b) => a - b).join(",");
    let t = rendered.get(key);
    if (!t) rendered.set(key, (t = tables(plan, done, only)));
    return t;
  };
}

/** The points the manifest lists as done; each must have runs, unless its journal record was refused (then it reruns). */
function pointsDone(
  mpath: string,
  manifest: Manifest,
  plan: SweepPlan,
  done: DoneRows,
  badIndex: ReadonlySet<number>,
): Set<number> {
  const manifestDone = new Set<number>();
  manifest.points.forEach((p, i) => {
    if (p.status !== "done") return;
    const index = plan.points[i]!.index;
    if (badIndex.has(index) && !done.has(index)) return; // reported in badRecords, rerun
    if (!done.has(index)) throw corrupted(mpath, `point ${p.key} is marked done but has no runs`);
    manifestDone.add(index);
  });
  return manifestDone;
}

/** Everything in the manifest but the provenance must be what this plan would write. */
function checkManifestMatches(mpath: string, manifest: Manifest, plan: SweepPlan, manifestDone: Set<number>): void {
  // Failed points (issue 24) are points of this grid, not done.
  const keys = new Set(plan.points.map((p) => p.key));
  for (const f of manifest.failed ?? [])
    if (!keys.has(f.key) || manifest.points.some((p) => p.key === f.key && p.status === "done"))
      throw corrupted(mpath, `failed point ${f.key} is no pending point of its grid`);
  const failed = manifest.failed ?? [];
  const expected = {
    ...buildManifest(plan, manifestDone, failed),
    pinsim: manifest.pinsim,
    git: manifest.git,
    node: manifest.node,
    prng: manifest.prng,
  };
  const listed = {
    ...buildManifest(
      plan,
      new Set(manifest.points.flatMap((p, i) => (p.status === "done" ? [plan.points[i]!.index] : []))),
      failed,
    ),
    pinsim: manifest.pinsim,
    git: manifest.git,
    node: manifest.node,
    prng: manifest.prng,
  };
  if (
    JSON.stringify(manifest, null, 2) + "\n" !== JSON.stringify(expected, null, 2) + "\n" &&
    canonicalJson(manifest) !== canonicalJson(expected) &&
    canonicalJson(manifest) !== canonicalJson(listed)
  )
    throw corrupted(mpath, "does not match its config and points");
}

/** A shard as users write it, or "(whole grid)". */
function showShard(s: { index: number; count: number } | null): string {
  return s ? `${s.index + 1}/${s.count}` : "(whole grid)";
}
