/**
 * The reclaim-writes part: calibrate/reclaim.c's records, the kernel's answer (did
 * reclaim hand dirty file folios to ->writepage: /proc/vmstat nr_vmscan_write moved) and
 * the comparison with the model's reclaimWritesFile(preset, backing).
 */
import { z } from "zod";
import { BACKINGS, reclaimWritesFile, type Backing } from "../../model/backings.js";
import type { ComparisonRow } from "../compare.js";
import { ProbeError } from "../errors.js";
import type { KernelId } from "../../model/kernels.js";

const PAIR = z.tuple([z.number(), z.number()]);
const RECLAIM = z.object({
  type: z.literal("reclaim"),
  mode: z.enum(["memcg", "kswapd"]),
  dirtyAfterWrite: z.number(),
  memcgPgscan: z.number(),
  memcgPgsteal: z.number(),
  /** The cgroup's memory.events (memcg mode; -1 each in kswapd mode); absent in records before memory.high. */
  memcgEvents: z.object({ high: z.number(), max: z.number(), oom: z.number(), oom_kill: z.number() }).optional(),
  nr_vmscan_write: PAIR,
  nr_vmscan_immediate_reclaim: PAIR,
  pgsteal_kswapd: PAIR,
  pgsteal_direct: PAIR,
  pgscan_kswapd: PAIR,
  pgscan_direct: PAIR,
  nr_dirty: PAIR,
  nr_writeback: PAIR,
});
/** calibrate/reclaim.c's `reclaim` record: the mode and each counter before and after ([before, after]). */
export type ReclaimRecord = z.infer<typeof RECLAIM>;

/** Parse one reclaim.c run's output; throws ProbeError naming the line and field. */
export function parseReclaim(text: string): ReclaimRecord {
  const lines = text.split("\n").filter(Boolean);
  const i = lines.findIndex((l) => l.includes('"type":"reclaim"'));
  if (i < 0) {
    const err = lines.find((l) => l.includes('"type":"error"'));
    throw new ProbeError(`probe reclaim: no reclaim record${err ? `: ${err}` : ""}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(lines[i]);
  } catch (e) {
    throw new ProbeError(`probe reclaim line ${i + 1}: not JSON (${(e as Error).message})`);
  }
  const r = RECLAIM.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ProbeError(`probe reclaim line ${i + 1}: field ${iss.path.join(".")}: ${iss.message}`);
  }
  return r.data;
}

/** The kernel's side of one reclaim run: pages reclaim wrote, scanned and freed (deltas). */
export interface ReclaimKernel {
  /** "memcg" (the cgroup's own, direct, reclaim) or "kswapd" (machine-wide pressure). */
  mode: "memcg" | "kswapd";
  /** Δ nr_vmscan_write: folios reclaim handed to ->writepage (mm/vmscan.c pageout). */
  written: number;
  /** Pages scanned by the reclaim of this mode (memcg: the cgroup's pgscan; kswapd: pgscan_kswapd + pgscan_direct). */
  scanned: number;
  /** Pages freed likewise. */
  stolen: number;
  /** Δ nr_vmscan_immediate_reclaim: dirty folios met and rotated for the flusher (PG_reclaim). */
  immediate: number;
  /** nr_dirty right after the writes (pages). */
  dirtyAfterWrite: number;
}

const d = (p: [number, number]) => p[1] - p[0];

/** The deltas of one record. */
export function reclaimKernel(r: ReclaimRecord): ReclaimKernel {
  const memcg = r.mode === "memcg";
  return {
    mode: r.mode,
    written: d(r.nr_vmscan_write),
    scanned: memcg ? r.memcgPgscan : d(r.pgscan_kswapd) + d(r.pgscan_direct),
    stolen: memcg ? r.memcgPgsteal : d(r.pgsteal_kswapd) + d(r.pgsteal_direct),
    immediate: d(r.nr_vmscan_immediate_reclaim),
    dirtyAfterWrite: r.dirtyAfterWrite,
  };
}

/**
 * One comparison row: whether reclaim wrote a dirty `fs` page (Δ nr_vmscan_write > 0) beside
 * the model's reclaimWritesFile(preset, fs). A run in which reclaim scanned nothing measured
 * nothing (agree null).
 */
export function reclaimRow(
  fs: string,
  mode: "memcg" | "kswapd",
  k: ReclaimKernel | null,
  preset: KernelId | null,
  why: string | null,
): ComparisonRow {
  const backing = (BACKINGS as readonly string[]).includes(fs) ? (fs as Backing) : null;
  const model = backing ? reclaimWritesFile(preset, backing) : null;
  const pressure = mode === "kswapd" ? "machine-wide pressure (kswapd)" : "a memory cgroup's limit (direct reclaim)";
  const measured = k !== null && k.scanned > 0;
  return {
    part: "reclaim-writes",
    fs,
    quantity: `${fs}: reclaim writes dirty file pages under ${pressure}, periodic writeback off (Δ nr_vmscan_write > 0)`,
    kernel:
      k === null
        ? `not measured here: ${why ?? "no record"}`
        : `${k.written > 0 ? "writes" : "does not write"}: ${k.written} written, ${k.stolen} of ${k.scanned} scanned pages freed, ${k.immediate} dirty rotated to the flusher`,
    kernelInterval: null,
    model:
      model === null
        ? `no backing ${fs} in the model`
        : `${model ? "writes" : "does not write"}: reclaimWritesFile(${preset ?? "no preset"}, ${fs})`,
    modelInterval: null,
    agree: !measured || model === null ? null : k.written > 0 === model,
    rule: "both say writes, or both say does not; a run whose reclaim scanned no page measured nothing",
  };
}
