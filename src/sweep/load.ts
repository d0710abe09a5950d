/**
 * `loadResults(dir)`: a results directory as a ResultsTable, validated.
 */
import { PACKAGE_VERSION } from "../version.js";
import { ResultsError } from "./errors.js";
import { failedText } from "./failed.js";
import { buildManifest } from "./plan.js";
import { tables } from "./snapshot.js";
import { isDirectory } from "./store.js";
import { readResultsDir } from "./validation.js";
import type { ResultsTable } from "./types.js";

/**
 * Read the results of a sweep (or a shard, or a merge) from `dir`: the finished points
 * the manifest lists, their runs and summary rows, every file checked against the others.
 * Throws ResultsError, in one line, when the directory is missing, holds no results, was
 * written by another major.minor version of pinsim, has a corrupted file, a snapshot file
 * missing points the manifest lists as done, or a journal record whose checksum does not match.
 */
export function loadResults(dir: string): ResultsTable {
  if (!isDirectory(dir)) throw new ResultsError(`${dir}: no such results directory`);
  const state = readResultsDir(dir);
  if (!state)
    throw new ResultsError(`${dir}: no manifest.json, not a pinsim results directory (run pinsim sweep first)`);
  // A bad journal record is never accepted: the sweep that wrote it redoes its point.
  if (state.badRecords.length > 0)
    throw new ResultsError(
      state.badRecords[0]!.replace("its point will be rerun", "rerun the same pinsim sweep command to redo its point"),
    );
  const theirs = /^pinsim (\d+)\.(\d+)\./.exec(state.manifest.pinsim);
  const ours = /^(\d+)\.(\d+)\./.exec(PACKAGE_VERSION);
  if (!theirs || !ours || theirs[1] !== ours[1] || theirs[2] !== ours[2])
    throw new ResultsError(
      `${dir}: written by ${state.manifest.pinsim}, this is pinsim ${PACKAGE_VERSION}: rerun the sweep`,
    );
  if (state.manifestDone.size === 0)
    throw new ResultsError(
      `${dir}: no finished points yet${state.manifest.failed ? ` (${failedText(state.manifest.failed)})` : ""}`,
    );
  // A snapshot file that misses finished points (a summary.csv cut at a row boundary, or a
  // sweep killed between renames) is refused, not read around; nothing is changed.
  if (state.lagging.length > 0)
    throw new ResultsError(
      `${state.lagging[0]}: truncated, or its sweep was killed mid-snapshot; results left untouched: rerun the same pinsim sweep command to rewrite it`,
    );
  const t = tables(state.plan, state.done, state.manifestDone);
  const manifest = buildManifest(state.plan, state.manifestDone, state.manifest.failed ?? []);
  // Keep the provenance as recorded, not as this process would write it.
  Object.assign(manifest, {
    pinsim: state.manifest.pinsim,
    git: state.manifest.git,
    node: state.manifest.node,
    prng: state.manifest.prng,
  });
  return { dir, manifest, runs: t.runs, summary: t.summary };
}
