/**
 * Making an output directory a user names (`--out DIR` of sweep, merge, plot, check
 * --witness, calibrate, notebook): the one place that creates it, and refuses with one
 * line (an InputError, exit 2) a path that cannot be a writable directory: an empty path,
 * an existing file or device (`my.json`, `/dev/full`), a path under a file (`/dev/null/x`),
 * or a file system that will not create it (`/proc/x`, `/sys/x`).
 *
 * Not `mkdirSync(dir, { recursive: true })`: on Node 20 it loops forever at 100 % CPU on
 * /proc (`mkdirSync("/proc/x", { recursive: true })` never returns), and its errors are
 * raw EEXIST/ENOTDIR stack traces. Instead: walk up to the first existing ancestor, check
 * it is a directory, create the missing levels one by one (non-recursive mkdir), and prove
 * the directory writable by creating and removing a probe file. A refusal removes the
 * levels it created, so nothing is left behind.
 */
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmdirSync,
  statSync,
  unlinkSync,
  type Stats,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { InputError } from "./errors.js";

/** What an output directory must be, as the refusal says. */
export const OUT_DIR_ALLOWED = "a directory that can be created and written";

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function kind(st: Stats): string {
  if (st.isFile()) return "a file";
  if (st.isDirectory()) return "a directory, not a file";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a directory";
}

/** Options of ensureOutputDir. */
export interface OutputDirOptions {
  /** The flag or field named in a refusal (default `--out`). */
  field?: string;
  /**
   * Prove the directory writable by creating and removing a probe file (default true).
   * False when the caller's first write proves it anyway (a sweep's lock file).
   */
  probe?: boolean;
  /**
   * Refuse a directory that is a symbolic link (default false). True where the folder may
   * come from someone else's results (plot's RESULTS_DIR/figures): a planted `figures ->
   * ~/.ssh` would be written through.
   */
  noSymlink?: boolean;
}

/**
 * Create `dir` (and its missing parents) if needed and check that files can be written
 * in it. Returns the directory's absolute path.
 * @throws InputError `invalid --out: "DIR" (allowed: a directory that can be created and written; WHY)`.
 */
export function ensureOutputDir(dir: string, options: OutputDirOptions = {}): string {
  const field = options.field ?? "--out";
  const refuse = (why: string) => new InputError(field, dir, `${OUT_DIR_ALLOWED}; ${why}`);
  if (typeof dir !== "string" || dir.trim() === "") throw refuse("an empty path names no directory");
  const target = resolve(dir);
  if (options.noSymlink) {
    const link = symlinkTarget(target);
    if (link !== null) throw refuse(`${dir} is a symbolic link (to ${link}); give the directory itself`);
  }
  // Walk up to the first path that exists; it must be a directory.
  const missing: string[] = [];
  for (let p = target; ; ) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch (e) {
      const c = code(e);
      const up = dirname(p);
      if ((c === "ENOENT" || c === "ENOTDIR") && up !== p) {
        missing.push(p);
        p = up;
        continue;
      }
      throw refuse(`${p}: ${c}`);
    }
    if (!st.isDirectory()) throw refuse(`${p} is ${kind(st)}`);
    break;
  }
  // Create the missing levels top-down, one non-recursive mkdir each.
  const created: string[] = [];
  try {
    for (const p of missing.reverse()) {
      try {
        mkdirSync(p);
        created.push(p);
      } catch (e) {
        if (code(e) === "EEXIST" && isDirectory(p)) continue; // made meanwhile by another process
        throw refuse(`mkdir ${p}: ${code(e)}`);
      }
    }
    if (options.probe !== false) probe(target, refuse);
  } catch (e) {
    for (const p of created.reverse()) {
      try {
        rmdirSync(p);
      } catch {
        /* not ours to force */
      }
    }
    throw e;
  }
  return target;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Create and remove a file in `dir` (root passes access(2) on /proc, yet cannot create a file there). */
function probe(dir: string, refuse: (why: string) => InputError): void {
  const file = join(dir, `.pinsim-probe-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  let fd: number;
  try {
    fd = openSync(file, "wx");
  } catch (e) {
    throw refuse(`cannot create a file in ${dir}: ${code(e)}`);
  }
  closeSync(fd);
  try {
    unlinkSync(file);
  } catch {
    /* the directory let us create it; a failed unlink is its own business */
  }
}

/** Where symbolic link `p` points, or null when `p` is no symbolic link (or does not exist). */
function symlinkTarget(p: string): string | null {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null;
  } catch {
    return null;
  }
}

/**
 * Write `data` to `name` in output directory `dir` (one ensureOutputDir made), whole or not
 * at all (write-file-atomic: a temporary file renamed over it). An existing `name` must be
 * a regular file: a symbolic link is refused, not written through (write-file-atomic
 * follows it), and a FIFO, device or directory of that name is refused rather than blocked
 * on or crashed into. Returns the file's path.
 * @throws InputError `invalid --out: "DIR" (allowed: …; DIR/NAME is a symbolic link (to T))`.
 */
export function writeOutputFile(dir: string, name: string, data: string | Uint8Array, field = "--out"): string {
  const file = checkOutputFile(dir, name, field);
  writeFileAtomic.sync(
    file,
    typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  );
  return file;
}

/**
 * Check that `name` in `dir` can be written by writeOutputFile (absent, or a regular file
 * that is no symbolic link), so a command can check all its outputs before writing any.
 * Returns the file's path. @throws InputError as writeOutputFile.
 */
export function checkOutputFile(dir: string, name: string, field = "--out"): string {
  const file = join(dir, name);
  let st: Stats | null = null;
  try {
    st = lstatSync(file);
  } catch (e) {
    if (code(e) !== "ENOENT") throw new InputError(field, dir, `${OUT_DIR_ALLOWED}; ${file}: ${code(e)}`);
  }
  if (st?.isSymbolicLink())
    throw new InputError(
      field,
      dir,
      `${OUT_DIR_ALLOWED}, its files not symbolic links; ${file} is a symbolic link (to ${readlinkSync(file)})`,
    );
  if (st && !st.isFile()) throw new InputError(field, dir, `${OUT_DIR_ALLOWED}; ${file} is ${kind(st)}`);
  return file;
}
