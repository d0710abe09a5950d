/**
 * The results directory on disk (contract in types.ts): its file names, and the one way a
 * file is written. Every file is replaced by write-file-atomic (temp file, fsync, rename)
 * and then the directory is fsynced, so after a SIGKILL or a power cut at any moment each
 * file is either its old or its new version.
 *
 * The rest of the directory's life is one file each: the journal of finished points
 * (journal.ts), the four contract files written from it (snapshot.ts), reading and
 * checking a directory (validation.ts), and the lock that lets one writer in (lock.ts).
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { NotRegularFileError, readRegularText } from "../input-file.js";
import { ResultsError } from "./errors.js";
import type { Row } from "./types.js";

/** File names inside a results directory. */
export const FILES = {
  manifest: "manifest.json",
  runsCsv: "runs.csv",
  runsJsonl: "runs.jsonl",
  summary: "summary.csv",
  points: ".points",
  lock: ".pinsim.lock",
  lockOwner: ".pinsim.lock.owner",
} as const;
/**
 * Temp files a killed writer can leave in a results directory: write-file-atomic's
 * `NAME.<murmurhash>` beside each of our files, and the `.NAME.tmp-PID` of pinsim <= 0.1.
 */
export const TEMP = /^(?:\..*\.tmp-\d+|(?:manifest\.json|runs\.csv|runs\.jsonl|summary\.csv|\d{6}\.json)\.\d+)$/;

/** Finished points: grid index -> run rows (replicate order). */
export type DoneRows = Map<number, Row[]>;

/** The errno code of a file-system error (else its message), for one-line errors. */
export function errCode(e: unknown): string {
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
  if (lstatOrNull(path)?.isSymbolicLink())
    throw new ResultsError(`${path}: a symbolic link, refused (results files are regular files)`);
  writeFileAtomic.sync(path, text, { fsync: true });
  fsyncDir(join(path, ".."));
}

/** lstat, or null when the path does not exist (or cannot be stat'ed). */
export function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** fsync a directory so that the renames in it are durable. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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

/** Whether a name in a results directory is pinsim's own: a results file, the journal, the lock, a temp file. */
export function isOwnName(name: string): boolean {
  return (Object.values(FILES) as string[]).includes(name) || name.startsWith(`${FILES.lockOwner}.`) || TEMP.test(name);
}

/** Remove temp files a killed process left behind (only ours: `.NAME.tmp-PID`). */
export function removeStaleTemps(dir: string): void {
  for (const d of [dir, join(dir, FILES.points)]) {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) if (TEMP.test(n)) rmSync(join(d, n), { force: true });
  }
}

/** A file's text, or null when it does not exist. Throws ResultsError on any other read error. */
export function readText(path: string): string | null {
  try {
    // ENOTDIR: a path through a file is no results directory; prepareDir reports it.
    return readRegularText(path);
  } catch (e) {
    // A FIFO or a link to /dev/zero named manifest.json: refused at once, never read.
    if (e instanceof NotRegularFileError)
      throw new ResultsError(
        `${path}: ${e.kind}, not a regular file (results files are regular files); results left untouched: restore or delete it`,
      );
    throw new ResultsError(`${path}: cannot read (${errCode(e)})`);
  }
}

/** The one error for a results file that is not what pinsim wrote: nothing is changed. */
export function corrupted(path: string, why: string): ResultsError {
  return new ResultsError(`${path}: corrupted (${why}); results left untouched: restore or delete the directory`);
}

/** Whether a directory holds any results file of ours. */
export function hasResults(dir: string): boolean {
  return (
    [FILES.manifest, FILES.runsCsv, FILES.runsJsonl, FILES.summary].some((f) => readText(join(dir, f)) !== null) ||
    (() => {
      try {
        return readdirSync(join(dir, FILES.points)).some((n) => n.endsWith(".json"));
      } catch {
        return false;
      }
    })()
  );
}

/** Whether a path exists and is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
