/**
 * `mergeResults(dirs, out)`: combine the shards of one sweep into the directory an
 * unsharded run would have written, byte for byte.
 */
import { ResultsError } from "./errors.js";
import { makePlan } from "./plan.js";
import { ensureOutputDir } from "../out-dir.js";
import { dirname, join, resolve } from "node:path";
import { writePoint } from "./journal.js";
import { isLocked, lockDir } from "./lock.js";
import { tables, writeManifest, writeSnapshot } from "./snapshot.js";
import { isDirectory, prepareDir, removeStaleTemps, type DoneRows } from "./store.js";
import { readResultsDir } from "./validation.js";
import { buildManifest } from "./plan.js";
import type { ResultsTable } from "./types.js";

/**
 * Check that the directories hold complete, complementary shards of the same sweep (same
 * config hash, same shard count, every shard once, none still being written) and write the
 * merged results to `out` (default: the sweep's own name beside the first shard,
 * `data/results/lost-data-shard-1-of-8` -> `data/results/lost-data`). Throws ResultsError,
 * in one line, writing nothing, when they do not.
 *
 * Crash-consistent like a sweep: under the lock of `out`, the manifest is written first
 * (no point done), then every point's journal record, then the snapshot; a merge killed at
 * any write or rename is continued by rerunning it.
 */
export function mergeResults(dirs: readonly string[], out?: string): ResultsTable {
  const states = readShards(dirs);
  const first = states[0]!;
  checkComplementary(states);
  const plan = makePlan(first.manifest.config, null);
  const dest = out ?? join(dirname(first.dir), plan.config.name);
  if (states.some((s) => resolve(s.dir) === resolve(dest)))
    throw new ResultsError(`merge: --out ${dest} is one of the shards: give another --out`);
  const done: DoneRows = new Map();
  for (const s of states) for (const i of s.manifestDone) done.set(i, s.done.get(i)!);
  ensureOutputDir(dest, { probe: false }); // "", a file, /proc/x: one line (the lock's owner file proves it writable)
  readResultsDir(dest, plan); // refuses another sweep or a foreign directory in `dest` before anything is written
  prepareDir(dest);
  const lock = lockDir(dest, "merge");
  try {
    const existing = readResultsDir(dest, plan);
    removeStaleTemps(dest);
    writeManifest(dest, plan, existing?.done ?? new Map()); // the manifest first: a killed merge stays resumable
    for (const p of plan.points) {
      lock.check();
      writePoint(dest, p.index, p.key, done.get(p.index)!);
    }
    writeSnapshot(dest, plan, done);
  } finally {
    lock.release();
  }
  const t = tables(plan, done);
  return { dir: dest, manifest: buildManifest(plan, new Set(done.keys())), runs: t.runs, summary: t.summary };
}

/** One input of a merge: its directory and what readResultsDir found there. */
type ShardState = { dir: string } & NonNullable<ReturnType<typeof readResultsDir>>;

/** Each directory read as a finished-or-not shard; throws ResultsError for one missing, locked, foreign or cut short. */
function readShards(dirs: readonly string[]): ShardState[] {
  if (dirs.length === 0) throw new ResultsError("merge: no input directories");
  return dirs.map((d) => {
    if (!isDirectory(d)) throw new ResultsError(`merge: ${d}: no such results directory`);
    if (isLocked(d)) throw new ResultsError(`merge: ${d} is locked: its shard is still running (wait for it)`);
    const s = readResultsDir(d);
    if (!s) throw new ResultsError(`merge: ${d}: no manifest.json, not a pinsim results directory`);
    if (s.lagging.length > 0)
      throw new ResultsError(
        `merge: ${s.lagging[0]}: truncated, or its sweep was killed mid-snapshot: rerun its shard's sweep command first`,
      );
    return { dir: d, ...s };
  });
}

/**
 * The shards are of one sweep (config hash, pinsim version), each finished, and together
 * every shard of the same count exactly once; throws ResultsError naming the first that is not.
 */
function checkComplementary(states: ShardState[]): void {
  const first = states[0]!;
  for (const s of states) {
    if (s.manifest.configHash !== first.manifest.configHash)
      throw new ResultsError(
        `merge: ${s.dir} holds config ${s.manifest.configHash.slice(0, 12)}…, ${first.dir} holds ${first.manifest.configHash.slice(0, 12)}…: not shards of one sweep`,
      );
    if (s.manifest.pinsim !== first.manifest.pinsim)
      throw new ResultsError(
        `merge: ${s.dir} was written by ${s.manifest.pinsim}, ${first.dir} by ${first.manifest.pinsim}`,
      );
    const missing = s.plan.points.length - s.manifestDone.size;
    if (missing > 0)
      throw new ResultsError(
        `merge: ${s.dir} is unfinished (${missing} of ${s.plan.points.length} points pending): rerun its shard first`,
      );
  }
  const count = first.manifest.shard?.count ?? 1;
  const seen = new Map<number, string>();
  for (const s of states) {
    const sh = s.manifest.shard ?? { index: 0, count: 1 };
    if (sh.count !== count)
      throw new ResultsError(
        `merge: ${s.dir} is shard ${sh.index + 1}/${sh.count}, ${first.dir} is of ${count} shards`,
      );
    if (seen.has(sh.index))
      throw new ResultsError(`merge: ${s.dir} and ${seen.get(sh.index)} are both shard ${sh.index + 1}/${count}`);
    seen.set(sh.index, s.dir);
  }
  const absent = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (absent.length > 0)
    throw new ResultsError(
      `merge: shard${absent.length > 1 ? "s" : ""} ${absent.map((i) => `${i + 1}/${count}`).join(", ")} missing`,
    );
}
