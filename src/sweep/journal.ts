/**
 * The journal of a results directory: `.points/NNNNNN.json` holds each finished point's
 * runs with a sha256 of its content, written the moment the point finishes (before any
 * snapshot lists it). It is what a resume trusts: the snapshot files (snapshot.ts) are
 * rebuilt from it, and a record that does not check out is reported and its point rerun.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { oneLine } from "../errors.js";
import { sha256Hex } from "./hash.js";
import { ResultsError } from "./errors.js";
import { FILES, TEMP, corrupted, lstatOrNull, writeAtomic, type DoneRows } from "./store.js";
import type { Row } from "./types.js";

/** The checksum of a journal record: sha256 of the JSON text of {index, key, rows}. */
export function recordChecksum(index: number, key: string, rows: Row[]): string {
  return sha256Hex(JSON.stringify({ index, key, rows }));
}

/** Record a finished point in the journal (before any snapshot includes it), with its checksum. */
export function writePoint(dir: string, index: number, key: string, rows: Row[]): void {
  writeAtomic(
    dir,
    `${FILES.points}/${pointFileName(index)}`,
    JSON.stringify({ index, key, rows, sha256: recordChecksum(index, key, rows) }) + "\n",
  );
}

/** A journal record's file name: the grid index, six digits. */
function pointFileName(index: number): string {
  return `${String(index).padStart(6, "0")}.json`;
}

// Rows are checked cell by cell by the caller's checkRows (columns, axis values, seeds, metrics): only their shape here.
const POINT_FILE = z
  .object({
    index: z.number().int(),
    key: z.string(),
    rows: z.array(z.custom<Row>((r) => r !== null && typeof r === "object" && !Array.isArray(r))),
    sha256: z.string(),
  })
  .strict();

/** Checks one point's rows against the plan; throws (a ResultsError) on the first problem. */
export type RowCheck = (path: string, index: number, rows: Row[]) => void;

/** What the journal holds. */
export interface Journal {
  /** The points whose record checks out, with their rows. */
  done: DoneRows;
  /** Records refused (bad checksum, torn, not of this sweep): one line each. */
  badRecords: string[];
  /** The grid indices of the refused records: their points rerun. */
  badIndex: Set<number>;
}

/**
 * Read the journal: a record counts only if its checksum, its point and its rows check out;
 * a bad one (an edited digit, a torn or foreign file) is reported and its point rerun. A file
 * that is not a record's name (nor a temp file) throws ResultsError.
 */
export function readJournal(dir: string, keys: ReadonlyMap<number, { key: string }>, checkRows: RowCheck): Journal {
  const pdir = join(dir, FILES.points);
  const journal: Journal = { done: new Map(), badRecords: [], badIndex: new Set() };
  let names: string[] = [];
  try {
    names = readdirSync(pdir);
  } catch {
    names = [];
  }
  for (const n of names.sort()) {
    if (TEMP.test(n)) continue;
    const path = join(pdir, n);
    const m = /^(\d{6})\.json$/.exec(n);
    if (!m) throw corrupted(path, "unexpected file in the journal");
    // A record named after no point of this sweep (or shard) would never be rerun nor
    // overwritten: refused, not kept and warned about on every resume.
    if (!keys.has(Number(m[1])))
      throw new ResultsError(
        `${path}: a journal record of no point of this sweep (grid index ${Number(m[1])}; this sweep's points are ${describeIndices(keys)}): remove it; results left untouched`,
      );
    const record = readRecord(path, Number(m[1]), keys, checkRows);
    if (typeof record === "string") {
      journal.badRecords.push(`${path}: bad journal record (${record}); its point will be rerun`);
      journal.badIndex.add(Number(m[1]));
    } else journal.done.set(record.index, record.rows);
  }
  return journal;
}

/** A set of grid indices in words: `0..8`, or `3, 7, 11` (a shard's), cut after a few. */
function describeIndices(keys: ReadonlyMap<number, unknown>): string {
  const all = [...keys.keys()].sort((a, b) => a - b);
  if (all.length === 0) return "none";
  if (all[all.length - 1]! - all[0]! === all.length - 1) return `${all[0]}..${all[all.length - 1]}`;
  return all.length > 5 ? `${all.slice(0, 5).join(", ")}, … (${all.length} in all)` : all.join(", ");
}

/** One journal record's point and rows, or why it is refused. */
function readRecord(
  path: string,
  fileIndex: number,
  keys: ReadonlyMap<number, { key: string }>,
  checkRows: RowCheck,
): { index: number; rows: Row[] } | string {
  if (!lstatOrNull(path)?.isFile()) return "not a regular file";
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return `not valid JSON: ${oneLine((e as Error).message)}`;
  }
  const pf = POINT_FILE.safeParse(v);
  if (!pf.success) return "not a point record";
  const { index, key, rows, sha256 } = pf.data as { index: number; key: string; rows: Row[]; sha256: string };
  if (recordChecksum(index, key, rows) !== sha256) return "checksum mismatch";
  const p = keys.get(index);
  if (!p || p.key !== key || fileIndex !== index) return "not a point of this sweep";
  try {
    checkRows(path, index, rows);
  } catch (e) {
    return (e as Error).message;
  }
  return { index, rows };
}
