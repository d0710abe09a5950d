/**
 * The results directory on disk (contract in types.ts). Every file is replaced by
 * write-file-atomic (temp file, fsync, rename) and then the directory is fsynced, so after
 * a SIGKILL or a power cut at any moment each file is either its old or its new version.
 * `.points/NNNNNN.json` holds each finished point's runs, with a sha256 of its content,
 * the moment the point finishes (the journal resume reads); the four contract files are
 * snapshots of the finished points in grid order, refreshed at most once a second and at
 * the end, the manifest first, so that at every instant a directory holding any results
 * file holds a manifest (a kill between two renames always leaves a resumable directory).
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import writeFileAtomic from "write-file-atomic";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { METRIC_NAMES } from "../model/metrics.js";
import { oneLine } from "../errors.js";
import { PACKAGE_VERSION } from "../version.js";
import { ResultsError } from "./errors.js";
import { canonicalJson, sha256Hex } from "./hash.js";
import { buildManifest, configHash, makePlan, type SweepPlan } from "./plan.js";
import { cellText, renderCsv, renderJsonl, runColumns, summaryColumns, summaryRow } from "./table.js";
import type { Cell, Manifest, Row } from "./types.js";

export const FILES = { manifest: "manifest.json", runsCsv: "runs.csv", runsJsonl: "runs.jsonl", summary: "summary.csv", points: ".points", lock: ".pinsim.lock", lockOwner: ".pinsim.lock.owner" } as const;
// Temp files: write-file-atomic's `NAME.<murmurhash>` beside each of our files, and the
// `.NAME.tmp-PID` of pinsim <= 0.1 (a killed process leaves one behind).
const TEMP = /^(?:\..*\.tmp-\d+|(?:manifest\.json|runs\.csv|runs\.jsonl|summary\.csv|\d{6}\.json)\.\d+)$/;

/** Finished points: grid index -> run rows (replicate order). */
export type DoneRows = Map<number, Row[]>;

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Replace a file atomically and durably: write-file-atomic writes a temp file beside it,
 * fsyncs it and renames it over the file (removing the temp file if any step fails, e.g.
 * ENOSPC); then the directory is fsynced by hand, which write-file-atomic 6 does not do,
 * so that the rename itself survives a power cut (rename(2) is durable only once the
 * directory's metadata is on disk).
 */
export function writeAtomic(dir: string, name: string, text: string): void {
  const path = join(dir, name);
  // write-file-atomic follows a symlink to its target: never write through one.
  if (lstatOrNull(path)?.isSymbolicLink()) throw new ResultsError(`${path}: a symbolic link, refused (results files are regular files)`);
  writeFileAtomic.sync(path, text, { fsync: true });
  fsyncDir(join(path, ".."));
}

function lstatOrNull(path: string) {
  try { return lstatSync(path); } catch { return null; }
}

/** fsync a directory so that the renames in it are durable. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/**
 * Create `.points` in an output directory that ensureOutputDir (src/out-dir.ts) has made,
 * or fail with one line. Never a recursive mkdir (it loops forever on /proc in Node 20).
 * Whether files can be created in the directory (mkdir succeeds on an existing read-only
 * directory) is proved by lockDir, whose owner file is the first file written.
 */
export function prepareDir(dir: string): void {
  const points = join(dir, FILES.points);
  try {
    mkdirSync(points);
  } catch (e) {
    if (errCode(e) === "EEXIST" && isDirectory(points)) return;
    throw new ResultsError(`output directory ${dir}: not writable (${errCode(e)})`);
  }
}

/** Remove temp files a killed process left behind (only ours: `.NAME.tmp-PID`). */
export function removeStaleTemps(dir: string): void {
  for (const d of [dir, join(dir, FILES.points)]) {
    let names: string[] = [];
    try { names = readdirSync(d); } catch { continue; }
    for (const n of names) if (TEMP.test(n)) rmSync(join(d, n), { force: true });
  }
}

/** The checksum of a journal record: sha256 of the JSON text of {index, key, rows}. */
export function recordChecksum(index: number, key: string, rows: Row[]): string {
  return sha256Hex(JSON.stringify({ index, key, rows }));
}

/** Record a finished point in the journal (before any snapshot includes it), with its checksum. */
export function writePoint(dir: string, index: number, key: string, rows: Row[]): void {
  writeAtomic(dir, `${FILES.points}/${pointFileName(index)}`, JSON.stringify({ index, key, rows, sha256: recordChecksum(index, key, rows) }) + "\n");
}

function pointFileName(index: number): string {
  return `${String(index).padStart(6, "0")}.json`;
}

/** The manifest alone, listing the given points as done (every one of them is in the journal). */
export function writeManifest(dir: string, plan: SweepPlan, done: DoneRows): void {
  writeAtomic(dir, FILES.manifest, JSON.stringify(buildManifest(plan, new Set(done.keys())), null, 2) + "\n");
}

/** The four contract files for the finished points, in grid order; the manifest first. */
export function writeSnapshot(dir: string, plan: SweepPlan, done: DoneRows): void {
  const runCols = runColumns(plan.axes);
  const sumCols = summaryColumns(plan.axes);
  let jsonl = "";
  let csv = renderCsv(runCols, []);
  let summary = renderCsv(sumCols, []);
  for (const p of plan.points) {
    const rows = done.get(p.index);
    if (!rows) continue;
    const t = pointText(plan, p.axes, rows);
    jsonl += t.jsonl;
    csv += t.csv;
    summary += t.summary;
  }
  // The manifest first: the journal already holds every point it lists as done, so it is
  // consistent with any mix of old and new snapshot files, and a directory never holds a
  // results file without a manifest (a kill right after the first rename stays resumable).
  writeAtomic(dir, FILES.manifest, JSON.stringify(buildManifest(plan, new Set(done.keys())), null, 2) + "\n");
  writeAtomic(dir, FILES.runsJsonl, jsonl);
  writeAtomic(dir, FILES.runsCsv, csv);
  writeAtomic(dir, FILES.summary, summary);
}

// NOTE: for performance, a point's rows and text are computed once, not at every snapshot.
const summaries = new WeakMap<Row[], Row>();
const texts = new WeakMap<Row[], { jsonl: string; csv: string; summary: string }>();

function pointSummary(axes: Record<string, Cell>, rows: Row[]): Row {
  let s = summaries.get(rows);
  if (!s) summaries.set(rows, (s = summaryRow(axes, rows)));
  return s;
}

function pointText(plan: SweepPlan, axes: Record<string, Cell>, rows: Row[]) {
  let t = texts.get(rows);
  if (!t) {
    const runCols = runColumns(plan.axes);
    const sumCols = summaryColumns(plan.axes);
    // A CSV body is the rendering minus its header line (same columns, same quoting).
    const body = (cols: string[], r: Row[]) => renderCsv(cols, r).slice(renderCsv(cols, []).length);
    t = { jsonl: renderJsonl(runCols, rows), csv: body(runCols, rows), summary: body(sumCols, [pointSummary(axes, rows)]) };
    texts.set(rows, t);
  }
  return t;
}

/** Rows of runs and summary for the finished points, in grid order. */
export function tables(plan: SweepPlan, done: DoneRows, only?: ReadonlySet<number>) {
  const runs: Row[] = [];
  const summary: Row[] = [];
  for (const p of plan.points) {
    const rows = done.get(p.index);
    if (!rows || (only && !only.has(p.index))) continue;
    runs.push(...rows);
    summary.push(pointSummary(p.axes, rows));
  }
  return { runColumns: runColumns(plan.axes), summaryColumns: summaryColumns(plan.axes), runs, summary };
}

// ---------------------------------------------------------------------------------------
// Reading and validating a results directory.

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
});
// Rows are checked cell by cell by checkRows (columns, axis values, seeds, metrics): only their shape here.
const POINT_FILE = z.object({
  index: z.number().int(),
  key: z.string(),
  rows: z.array(z.custom<Row>((r) => r !== null && typeof r === "object" && !Array.isArray(r))),
  sha256: z.string(),
}).strict();

export interface DirState {
  manifest: Manifest;
  plan: SweepPlan;
  /** Every finished point found (journal and snapshot), validated. */
  done: DoneRows;
  /** The points the manifest lists as done. */
  manifestDone: Set<number>;
  /** Journal records refused (bad checksum, torn, not of this sweep): one line each. Their points rerun. */
  badRecords: string[];
  /** True when the manifest was missing and rebuilt from the expected plan and the journal. */
  recovered: boolean;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    // ENOTDIR: a path through a file is no results directory; prepareDir reports it.
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw new ResultsError(`${path}: cannot read (${errCode(e)})`);
  }
}

function corrupted(path: string, why: string): ResultsError {
  return new ResultsError(`${path}: corrupted (${why}); results left untouched: restore or delete the directory`);
}

/** Whether a directory holds any results file of ours. */
export function hasResults(dir: string): boolean {
  return [FILES.manifest, FILES.runsCsv, FILES.runsJsonl, FILES.summary].some((f) => readText(join(dir, f)) !== null) ||
    (() => { try { return readdirSync(join(dir, FILES.points)).some((n) => n.endsWith(".json")); } catch { return false; } })();
}

/**
 * Read and validate a results directory: null when it holds no manifest (and no results
 * file). With `expect`, the directory must hold that very sweep (config hash, shard and
 * pinsim version), else it is refused. Throws ResultsError, changing nothing.
 */
export function readResultsDir(dir: string, expect?: SweepPlan): DirState | null {
  const mpath = join(dir, FILES.manifest);
  for (const f of [FILES.manifest, FILES.runsCsv, FILES.runsJsonl, FILES.summary, FILES.points]) {
    if (lstatOrNull(join(dir, f))?.isSymbolicLink()) throw corrupted(join(dir, f), "a symbolic link (results files are regular files)");
  }
  let mtext = readText(mpath);
  let recovered = false;
  if (mtext === null) {
    if (!hasResults(dir)) return null;
    // Results without a manifest (a kill before the first manifest of pinsim <= 0.1, or a
    // deleted manifest): rebuild it from the command's own config; the journal and the
    // snapshot files are then checked against that config like any others.
    if (!expect) throw corrupted(mpath, "missing while results files exist (rerun the same pinsim sweep or merge command to rebuild it)");
    mtext = JSON.stringify(buildManifest(expect, new Set()));
    recovered = true;
  }
  let raw: unknown;
  try { raw = JSON.parse(mtext); } catch (e) { throw corrupted(mpath, `not valid JSON: ${(e as Error).message}`); }
  const mp = MANIFEST.safeParse(raw);
  if (!mp.success) throw corrupted(mpath, `not a pinsim manifest: ${mp.error.issues[0]?.path.join(".")} ${mp.error.issues[0]?.message}`);
  const manifest = raw as Manifest;
  if (expect) {
    if (manifest.configHash !== expect.configHash)
      throw new ResultsError(`output directory ${dir} holds sweep "${manifest.name}" with config hash ${manifest.configHash.slice(0, 12)}…, not this config (${expect.configHash.slice(0, 12)}…): use another --out or delete the directory`);
    if (canonicalJson(manifest.shard) !== canonicalJson(expect.shard))
      throw new ResultsError(`output directory ${dir} holds shard ${showShard(manifest.shard)} of this sweep, not shard ${showShard(expect.shard)}: use another --out`);
    if (manifest.pinsim !== `pinsim ${PACKAGE_VERSION}`)
      throw new ResultsError(`output directory ${dir} was written by ${manifest.pinsim}, this is pinsim ${PACKAGE_VERSION}: use another --out or delete the directory`);
  }
  let plan: SweepPlan;
  try {
    plan = expect ?? makePlan(manifest.config, manifest.shard);
  } catch (e) {
    throw corrupted(mpath, `its config is invalid: ${(e as Error).message}`);
  }
  if (configHash(plan.config) !== manifest.configHash) throw corrupted(mpath, "configHash does not match its config");
  if (manifest.points.length !== plan.points.length || manifest.points.some((p, i) => p.key !== plan.points[i]!.key))
    throw corrupted(mpath, "its points are not the grid of its config");
  if (canonicalJson(manifest.axes) !== canonicalJson(plan.axes) || canonicalJson(manifest.metrics) !== canonicalJson(METRIC_NAMES))
    throw corrupted(mpath, "axes or metrics differ from this pinsim's");

  const byIndex = new Map(plan.points.map((p) => [p.index, p]));
  const byKey = new Map(plan.points.map((p) => [p.key, p]));
  const columns = runColumns(plan.axes);
  const done: DoneRows = new Map();
  // The checks below render the same set of points up to three times: compute each once.
  const rendered = new Map<string, ReturnType<typeof tables>>();
  const tablesOf = (only: Set<number>) => {
    const key = [...only].sort((a, b) => a - b).join(",");
    let t = rendered.get(key);
    if (!t) rendered.set(key, (t = tables(plan, done, only)));
    return t;
  };

  // Check one point's rows against the plan: its axis values, replicates, seeds, metrics.
  const checkRows = (path: string, index: number, rows: Row[]): void => {
    const p = byIndex.get(index)!;
    const seeds = plan.seeds.get(index)!;
    if (rows.length !== seeds.length) throw corrupted(path, `point ${p.key} has ${rows.length} runs, expected ${seeds.length}`);
    rows.forEach((r, rep) => {
      if (canonicalJson(Object.keys(r)) !== canonicalJson(columns)) throw corrupted(path, `a run of point ${p.key} has other columns`);
      for (const a of plan.axes) if (r[a] !== p.axes[a]) throw corrupted(path, `a run of point ${p.key} has ${a} = ${JSON.stringify(r[a])}`);
      if (r.replicate !== rep || r.seed !== seeds[rep]) throw corrupted(path, `point ${p.key} replicate ${rep}: wrong replicate or seed`);
      for (const m of METRIC_NAMES) if (r[m] !== null && typeof r[m] !== "number") throw corrupted(path, `point ${p.key}: ${m} is not a number`);
    });
  };

  // The journal: a record counts only if its checksum, its point and its rows check out; a
  // bad one (an edited digit, a torn or foreign file) is reported and its point rerun.
  const pdir = join(dir, FILES.points);
  const badRecords: string[] = [];
  const badIndex = new Set<number>();
  let names: string[] = [];
  try { names = readdirSync(pdir); } catch { names = []; }
  for (const n of names.sort()) {
    if (TEMP.test(n)) continue;
    const path = join(pdir, n);
    const m = /^(\d{6})\.json$/.exec(n);
    if (!m) throw corrupted(path, "unexpected file in the journal");
    const bad = (why: string): void => {
      badRecords.push(`${path}: bad journal record (${why}); its point will be rerun`);
      badIndex.add(Number(m[1]));
    };
    if (!lstatOrNull(path)?.isFile()) { bad("not a regular file"); continue; }
    let v: unknown;
    try { v = JSON.parse(readFileSync(path, "utf8")); } catch (e) { bad(`not valid JSON: ${oneLine((e as Error).message)}`); continue; }
    const pf = POINT_FILE.safeParse(v);
    if (!pf.success) { bad("not a point record"); continue; }
    const { index, key, rows, sha256 } = pf.data as { index: number; key: string; rows: Row[]; sha256: string };
    if (recordChecksum(index, key, rows) !== sha256) { bad("checksum mismatch"); continue; }
    const p = byIndex.get(index);
    if (!p || p.key !== key || Number(m[1]) !== index) { bad("not a point of this sweep"); continue; }
    try { checkRows(path, index, rows); } catch (e) { bad((e as Error).message); continue; }
    done.set(index, rows);
  }

  // runs.jsonl: every complete point it holds must agree with the journal.
  const jpath = join(dir, FILES.runsJsonl);
  const jtext = readText(jpath);
  const inJsonl = new Set<number>();
  if (jtext !== null) {
    const groups = new Map<number, Row[]>();
    const lines = jtext.split("\n");
    if (lines.pop() !== "") throw corrupted(jpath, "does not end with a newline");
    lines.forEach((line, i) => {
      let r: Row;
      try { r = JSON.parse(line) as Row; } catch { throw corrupted(jpath, `line ${i + 1} is not valid JSON`); }
      if (r === null || typeof r !== "object" || Array.isArray(r)) throw corrupted(jpath, `line ${i + 1} is not an object`);
      const axes: Record<string, Cell> = {};
      for (const a of plan.axes) axes[a] = r[a] as Cell;
      const p = byKey.get(canonicalJson(axes));
      if (!p) throw corrupted(jpath, `line ${i + 1} is not a point of this sweep`);
      const g = groups.get(p.index) ?? [];
      g.push(r);
      groups.set(p.index, g);
    });
    for (const [index, rows] of groups) {
      // A point whose journal record was refused is rerun: its snapshot rows are not taken.
      if (badIndex.has(index)) continue;
      checkRows(jpath, index, rows);
      const j = done.get(index);
      if (j && JSON.stringify(j) !== JSON.stringify(rows)) throw corrupted(jpath, `point ${byIndex.get(index)!.key} differs from its journal record`);
      done.set(index, rows);
      inJsonl.add(index);
    }
    if (jtext !== renderJsonl(columns, [...groups.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, rows]) => rows)))
      throw corrupted(jpath, "rows out of grid order or not in canonical form");
  }

  // runs.csv and summary.csv must be exactly the rendering of the points they hold.
  const checkCsv = (name: string, cols: string[], rowsOf: (only: Set<number>) => Row[]): void => {
    const path = join(dir, name);
    const text = readText(path);
    if (text === null) return;
    let records: string[][];
    try { records = parse(text, { relax_column_count: false }) as string[][]; } catch (e) { throw corrupted(path, `not valid CSV: ${(e as Error).message.split("\n")[0]}`); }
    if (records.length === 0 || canonicalJson(records[0]) !== canonicalJson(cols)) throw corrupted(path, "unexpected header");
    const textKey = (cells: string[]) => JSON.stringify(plan.axes.map((_, i) => cells[i]));
    const byText = new Map(plan.points.map((p) => [JSON.stringify(plan.axes.map((a) => cellText(p.axes[a]))), p.index]));
    const held = new Set<number>();
    for (const rec of records.slice(1)) {
      const index = byText.get(textKey(rec));
      if (index === undefined) throw corrupted(path, "a row is not a point of this sweep");
      if (badIndex.has(index)) continue;
      if (!done.has(index)) throw corrupted(path, `point ${byIndex.get(index)!.key} has no runs in the journal or runs.jsonl`);
      held.add(index);
    }
    if (badIndex.size === 0 && text !== renderCsv(cols, rowsOf(held))) throw corrupted(path, "its rows do not match the runs");
  };
  checkCsv(FILES.runsCsv, columns, (only) => tablesOf(only).runs);
  checkCsv(FILES.summary, summaryColumns(plan.axes), (only) => tablesOf(only).summary);

  const manifestDone = new Set<number>();
  manifest.points.forEach((p, i) => {
    if (p.status !== "done") return;
    const index = plan.points[i]!.index;
    if (badIndex.has(index) && !done.has(index)) return; // reported in badRecords, rerun
    if (!done.has(index)) throw corrupted(mpath, `point ${p.key} is marked done but has no runs`);
    manifestDone.add(index);
  });
  // Everything but the provenance must be what this plan would write.
  const expected = { ...buildManifest(plan, manifestDone), pinsim: manifest.pinsim, git: manifest.git, node: manifest.node, prng: manifest.prng };
  const listed = { ...buildManifest(plan, new Set(manifest.points.flatMap((p, i) => (p.status === "done" ? [plan.points[i]!.index] : [])))), pinsim: manifest.pinsim, git: manifest.git, node: manifest.node, prng: manifest.prng };
  if (JSON.stringify(manifest, null, 2) + "\n" !== JSON.stringify(expected, null, 2) + "\n" && canonicalJson(manifest) !== canonicalJson(expected) && canonicalJson(manifest) !== canonicalJson(listed))
    throw corrupted(mpath, "does not match its config and points");
  return { manifest: recovered ? buildManifest(plan, manifestDone) : manifest, plan, done, manifestDone, badRecords, recovered };
}

function showShard(s: { index: number; count: number } | null): string {
  return s ? `${s.index + 1}/${s.count}` : "(whole grid)";
}

/** Whether a path exists and is a directory. */
export function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

// ---------------------------------------------------------------------------------------
// The results directory's lock: one sweep or merge writes a directory at a time.

/** A held lock: release it at the end; `check` throws if it was lost meanwhile. */
export interface DirLock {
  release(): void;
  /** Throws ResultsError if the lock was lost (its refresh failed or another process took it). */
  check(): void;
}

const LOCK_STALE_MS = 30_000;
const OWNER_PREFIX = `${FILES.lockOwner}.`;

interface Owner { file: string; host: string; pid: number }

/** The owner files `DIR/.pinsim.lock.owner.HOST.PID` (a contender writes its own before locking). */
function owners(dir: string): Owner[] {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return []; }
  return names.flatMap((n) => {
    const m = n.startsWith(OWNER_PREFIX) ? /^(.*)\.(\d+)$/.exec(n.slice(OWNER_PREFIX.length)) : null;
    return m ? [{ file: join(dir, n), host: m[1]!, pid: Number(m[2]) }] : [];
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const deadHere = (o: Owner): boolean => o.host === hostname() && !pidAlive(o.pid);

/**
 * Take the lock on a results directory: proper-lockfile's `DIR/.pinsim.lock/` (mkdir is
 * atomic, also on NFS), its mtime refreshed every 5 s and stale after 30 s without a
 * refresh (a holder preempted on another node). Each contender first writes its own owner
 * file `DIR/.pinsim.lock.owner.HOST.PID`, so the holder of a lock always has one: when every
 * owner file names a dead process of this host (a sweep killed by SIGKILL, an OOM kill, a
 * requeued Slurm task on the same node) the lock is taken over at once instead of after 30 s.
 * A live holder: one line, ResultsError. The lock directory itself stays empty
 * (proper-lockfile removes it with rmdir).
 */
export function lockDir(dir: string, what: string): DirLock {
  const path = join(dir, FILES.lock);
  const mine = join(dir, `${OWNER_PREFIX}${hostname()}.${process.pid}`);
  let lost: Error | null = null;
  const opts = { lockfilePath: path, realpath: false, stale: LOCK_STALE_MS, update: 5_000, onCompromised: (e: Error) => { lost = e; } };
  try {
    writeAtomic(dir, `${OWNER_PREFIX}${hostname()}.${process.pid}`, JSON.stringify({ command: what, started: new Date().toISOString() }) + "\n");
  } catch (e) {
    if (e instanceof ResultsError) throw e;
    throw new ResultsError(`output directory ${dir}: not writable (${errCode(e)})`);
  }
  const take = (): (() => void) | null => {
    try {
      return lockfile.lockSync(dir, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ELOCKED") return null;
      rmSync(mine, { force: true });
      throw new ResultsError(`output directory ${dir}: cannot lock (${errCode(e)})`);
    }
  };
  let release = take();
  if (!release) {
    const others = owners(dir).filter((o) => o.file !== mine);
    if (others.length > 0 && others.every(deadHere)) {
      for (const o of others) rmSync(o.file, { force: true });
      rmSync(path, { recursive: true, force: true });
      release = take();
    }
    if (!release) {
      rmSync(mine, { force: true });
      const live = owners(dir).find((o) => o.file !== mine && !deadHere(o));
      const who = live ? `pinsim pid ${live.pid} on ${live.host}` : "another process";
      throw new ResultsError(`output directory ${dir} is locked by ${who} (a sweep or merge is writing it): wait for it to finish or use another --out`);
    }
  }
  // Owner files of dead processes of this host (killed before or after locking), and the
  // temp files of those killed while writing one (NAME.<murmurhash>): gone.
  const here = `${OWNER_PREFIX}${hostname()}.`;
  for (const n of readdirSync(dir)) {
    const m = n.startsWith(here) ? /^(\d+)(?:\.\d+)?$/.exec(n.slice(here.length)) : null;
    if (m && join(dir, n) !== mine && (Number(m[1]) === process.pid || !pidAlive(Number(m[1])))) rmSync(join(dir, n), { force: true });
  }
  const held = release;
  return {
    release: () => {
      try { held(); } catch { /* already gone */ }
      rmSync(mine, { force: true });
    },
    check: () => { if (lost) throw new ResultsError(`output directory ${dir}: lost its lock (${oneLine((lost as Error).message)}); rerun the same command to continue`); },
  };
}

/** Whether a live sweep or merge holds the lock of `dir` (an unfinished shard, say). */
export function isLocked(dir: string): boolean {
  const path = join(dir, FILES.lock);
  try {
    if (!lockfile.checkSync(dir, { lockfilePath: path, realpath: false, stale: LOCK_STALE_MS })) return false;
  } catch {
    return false;
  }
  const o = owners(dir);
  return !(o.length > 0 && o.every(deadHere));
}
