/**
 * Probes 3 and 4 of the lab (calibrate/pinned.c): a shared file page held by an O_DIRECT
 * read that dm-delay keeps in flight. Parses the `guard` and `race` records and compares
 * them with the model on the booted release's preset:
 * - the reclaim guard: reclaim keeps the page's private data (buffer heads, btrfs's
 *   extent marker) iff the preset has the guard (FEATURES.reclaimGuard, d824ec2a1546, v6.4)
 *   and the read's reference is a FOLL_PIN (callerProfile("odirect"): FOLL_GET before
 *   FEATURES.odirectPin), because folio_maybe_dma_pinned() sees only the pin bias on an
 *   order-0 page (PageCache.reclaimGuardKeeps); the page stays resident either way (the
 *   read's reference fails __remove_mapping's refcount freeze);
 * - the race: the model's O_DIRECT caller on the preset with the step's E, W, HZ and the
 *   delay as the pin's hold (simulate, one page traced).
 */
import { z } from "zod";
import { kupdatePeriod } from "../../engine/flusher.js";
import { simulate } from "../../engine/simulate.js";
import { BACKING_PROFILES, BACKINGS, type Backing } from "../../model/backings.js";
import { callerProfile } from "../../model/callers.js";
import { hasFeature, NEWEST_KERNEL, type KernelId } from "../../model/kernels.js";
import type { ComparisonRow } from "../compare.js";
import { ProbeError } from "../errors.js";
import { RAW_DISK_BYTE } from "./host.js";
import type { LabConfig } from "./plan.js";

const FLAGS = z
  .object({ dirty: z.number(), writeback: z.number(), lru: z.number(), active: z.number(), private: z.number() })
  .nullable();
const COMMON = {
  readRc: z.number(),
  readErrno: z.number(),
  readSeconds: z.number(),
  pinsHeld: z.number(),
  /** Δ nr_foll_pin_acquired over the read, read once folded (after it completed); absent in records before it. */
  pinsAcquired: z.number().optional(),
  warnings: z.number(),
  firstWarning: z.string(),
  /** errno of the victim's first syncfs (a writeback error an earlier step left on the filesystem), 0 if none. */
  settleErrno: z.number(),
};
const GUARD = z.object({
  type: z.literal("guard"),
  pfn: z.number(),
  mapped: FLAGS,
  reading: FLAGS,
  fsynced: FLAGS,
  pressured: FLAGS,
  completed: FLAGS,
  pressureInFlight: z.boolean(),
  pressureSeconds: z.number(),
  memcgPgscan: z.number(),
  memcgPgsteal: z.number(),
  residentPressured: z.number(),
  residentCompleted: z.number(),
  reclaimMib: z.number(),
  rounds: z.number(),
  roundsMet: z.number(),
  ...COMMON,
});
const RACE = z.object({
  type: z.literal("race"),
  clears: z.array(z.object({ t: z.number(), inFlight: z.boolean() })),
  writebackStarts: z.number(),
  afterCompletion: FLAGS,
  memByte: z.number(),
  diskByte: z.number(),
  diskUniform: z.boolean(),
  diskErrno: z.number(),
  deviceWrites: z.tuple([z.number(), z.number(), z.number()]),
  sectorsWritten: z.tuple([z.number(), z.number(), z.number()]),
  expire: z.number(),
  interval: z.number(),
  pollMs: z.number(),
  ...COMMON,
});
/** calibrate/pinned.c's `guard` record: the page's flags at each stage (null: unreadable), the cgroup's reclaim, the read. */
export type GuardRecord = z.infer<typeof GUARD>;
/** calibrate/pinned.c's `race` record: PG_dirty's clears (s from the store), writeback starts, the bytes in memory and on disk. */
export type RaceRecord = z.infer<typeof RACE>;

function parseRecord<T>(text: string, type: string, schema: z.ZodType<T>): T {
  const lines = text.split("\n").filter(Boolean);
  const i = lines.findIndex((l) => l.includes(`"type":"${type}"`));
  if (i < 0) {
    const err = lines.find((l) => l.includes('"type":"error"'));
    throw new ProbeError(`probe pinned: no ${type} record${err ? `: ${err}` : ""}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(lines[i]);
  } catch (e) {
    throw new ProbeError(`probe pinned line ${i + 1}: not JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ProbeError(`probe pinned line ${i + 1}: field ${iss.path.join(".")}: ${iss.message}`);
  }
  return r.data;
}

/** Parse pinned.c's guard output; throws ProbeError naming the line and field. */
export const parseGuard = (text: string): GuardRecord => parseRecord(text, "guard", GUARD);
/** Parse pinned.c's race output; throws ProbeError naming the line and field. */
export const parseRace = (text: string): RaceRecord => parseRecord(text, "race", RACE);

const backingOf = (fs: string): Backing | null =>
  (BACKINGS as readonly string[]).includes(fs) ? (fs as Backing) : null;
const pinKind = (preset: KernelId | null) => callerProfile("odirect", preset ?? NEWEST_KERNEL).reference;
const notMeasured = (part: "reclaim-guard" | "race", fs: string, what: string, why: string): ComparisonRow => ({
  part,
  fs,
  quantity: `${fs}: ${what}`,
  kernel: `not measured here: ${why}`,
  kernelInterval: null,
  model: "-",
  modelInterval: null,
  agree: null,
  rule: "the image could not run this part",
});

/** The model's guard answer for a clean page of `fs` held by the O_DIRECT read on `preset`: keeps its private data, or null (none to keep). */
export function modelGuardKeeps(preset: KernelId | null, fs: string): boolean | null {
  const b = backingOf(fs);
  if (b === null || BACKING_PROFILES[b].privateData === null) return null;
  const guard = preset === null || hasFeature(preset, "reclaimGuard");
  return guard && pinKind(preset) === "FOLL_PIN";
}

/**
 * Why the pin count of a read does not answer "was a FOLL_PIN held while in flight", or
 * null when it does: the read failed; it completed before the probe looked (the guard
 * looks from 0.3 s, the race from 1 s after the read began); or no pin was seen held
 * though the read took some (Δ nr_foll_pin_acquired once folded > 0: /proc/vmstat's
 * per-CPU deltas had not been folded while the read was held, a loaded guest).
 */
export function pinUnmeasured(
  r: { readRc: number; readSeconds: number; pinsHeld: number; pinsAcquired?: number },
  from: number,
): string | null {
  if (r.readRc !== 4096) return `the delayed O_DIRECT read failed (rc ${r.readRc})`;
  if (r.readSeconds <= from)
    return `the read completed in ${r.readSeconds.toFixed(3)} s, before the pin counters were looked at (from ${from} s)`;
  if (r.pinsHeld === 0 && (r.pinsAcquired ?? 0) > 0)
    return `no pin seen held in ${r.readSeconds.toFixed(3)} s of the read in flight, though it took ${r.pinsAcquired} (Δ nr_foll_pin_acquired after it completed): /proc/vmstat's per-CPU counters were not folded while it was held`;
  return null;
}

const PIN_ROW = (
  part: "reclaim-guard" | "race",
  fs: string,
  r: { readRc: number; readSeconds: number; pinsHeld: number; pinsAcquired?: number },
  preset: KernelId | null,
): ComparisonRow => {
  const kind = pinKind(preset);
  const held = r.pinsHeld;
  const pins = held > 0;
  const why = pinUnmeasured(r, part === "race" ? 1 : 0.3);
  const acquired = r.pinsAcquired === undefined ? "" : ` (${r.pinsAcquired} acquired in all)`;
  return {
    part,
    fs,
    quantity: `${fs}: ${part === "race" ? "race" : "reclaim guard"}: FOLL_PIN held by the delayed O_DIRECT read while in flight (nr_foll_pin_acquired - nr_foll_pin_released > 0)`,
    kernel: why ? `not measured here: ${why}` : `${pins ? "pins" : "no pin"}: ${held} held${acquired}`,
    kernelInterval: null,
    model: `${kind === "FOLL_PIN" ? "pins" : "no pin"}: callerProfile(odirect, ${preset ?? "no preset"}).reference = ${kind}`,
    modelInterval: null,
    agree: why ? null : pins === (kind === "FOLL_PIN"),
    rule: "both say pins, or both say no pin; measured only when the read succeeded, was still in flight when the counters were looked at, and no pin it took went unseen",
  };
};

/** Why a guard record measured nothing about the guard (its preconditions), or null. */
export function guardUnmeasured(g: GuardRecord): string | null {
  if (g.readRc !== 4096) return `the delayed O_DIRECT read failed (rc ${g.readRc})`;
  if (!g.pressureInFlight)
    return `the read completed (${g.readSeconds.toFixed(3)} s) before the cgroup's reclaim ended: the page was not held under it`;
  if (g.memcgPgscan <= 0) return "the cgroup's reclaim scanned no page";
  if (g.fsynced?.dirty !== 0) return "the page was not clean before the pressure (fsync left PG_dirty set)";
  return null;
}

/** The guard's rows on `fs`: the pin, PG_private kept under the cgroup's reclaim, the page resident. */
export function guardRows(fs: string, g: GuardRecord | null, preset: KernelId | null, why: string): ComparisonRow[] {
  const q = "a clean page the delayed O_DIRECT read holds, under its memory cgroup's reclaim (memory.reclaim)";
  const keepsQ = `reclaim guard: keeps private data (KPF_PRIVATE, bit 35) of ${q}`;
  const residentQ = `reclaim guard: stays in the page cache (mincore), ${q}`;
  if (g === null)
    return [notMeasured("reclaim-guard", fs, keepsQ, why), notMeasured("reclaim-guard", fs, residentQ, why)];
  const model = modelGuardKeeps(preset, fs);
  const before = g.fsynced?.private ?? null;
  const after = g.pressured?.private ?? null;
  // Measured only if the page was clean, and reclaim ran while the read was in flight.
  const unmet = guardUnmeasured(g);
  const valid = unmet === null;
  const keeps = before === 1 && after === 1;
  const kernel = unmet
    ? `not measured here: ${unmet}`
    : before === 0
      ? "no private data on the page (KPF_PRIVATE 0 before the pressure)"
      : `${after === 1 ? "keeps" : "loses"} its private data: KPF_PRIVATE ${before} -> ${after}, ${g.memcgPgscan} pages scanned, ${g.memcgPgsteal} freed in ${g.pressureSeconds.toFixed(1)} s with the read in flight (${g.rounds} rounds of ${g.reclaimMib} MiB); after the read: dirty ${g.completed?.dirty ?? "?"}, private ${g.completed?.private ?? "?"}; ${g.warnings} kernel messages at warning level or above${g.firstWarning ? ` (${g.firstWarning.slice(0, 80)})` : ""}`;
  const rows: ComparisonRow[] = [
    PIN_ROW("reclaim-guard", fs, g, preset),
    {
      part: "reclaim-guard",
      fs,
      quantity: `${fs}: ${keepsQ}`,
      kernel,
      kernelInterval: null,
      model:
        model === null
          ? `no private data on a ${fs} page (BACKING_PROFILES.${fs}.privateData null)`
          : `${model ? "keeps" : "loses"}: reclaim guard ${preset === null || hasFeature(preset, "reclaimGuard") ? "yes" : "no"} on ${preset ?? "no preset"}, the read takes ${pinKind(preset)}`,
      modelInterval: null,
      agree: !valid ? null : model === null ? before === 0 : keeps === model,
      rule: "both keep, or both lose (or both have none); measured only when the page was clean and had private data, and the cgroup's reclaim scanned while the read was in flight",
    },
    {
      part: "reclaim-guard",
      fs,
      quantity: `${fs}: ${residentQ}`,
      kernel: unmet
        ? `not measured here: ${unmet}`
        : `${g.residentPressured === 1 ? "resident" : "evicted"} after the pressure, ${g.residentCompleted === 1 ? "resident" : "evicted"} after the read`,
      kernelInterval: null,
      model: "resident: the read's reference fails __remove_mapping's refcount freeze (docs/model.md#reclaim, step 6)",
      modelInterval: null,
      agree: !valid ? null : g.residentPressured === 1,
      rule: "resident while the read holds the page; measured only when the cgroup's reclaim scanned while the read was in flight",
    },
  ];
  return rows;
}

/** The model's O_DIRECT caller on one page: store and pin at s, held `hold` s, then E + 2P more. */
export interface RaceModel {
  /** Seconds from the pin to each PG_dirty 1 -> 0 while the pin was held. */
  clearsWhileHeld: number[];
  /** PG_dirty right after the release. */
  dirtyAfterRelease: number;
  /** Writeback starts from the pin to the end of the window. */
  writebacks: number;
  /** Whether the disk holds the device's last write after the end-of-run sync. */
  diskHoldsRead: boolean;
  /** The seed used (the first from `seed` whose pin starts with the whole window inside the run). */
  seed: number;
}

/**
 * Run the model's O_DIRECT caller (caller "odirect", kernel `preset`, backing `fs`) on one
 * page: pinDuration `hold` s, device writes throughout the pin (rate 100/s, so one lands
 * within 10 ms of the release as the read's data does), no CPU stores (the pin dirties the
 * page, as the probe's store just before it does), E, W, HZ as given.
 */
export function raceModel(
  preset: KernelId | null,
  fs: string,
  o: { expire: number; interval: number; hz: number; hold: number; seed: number },
): RaceModel {
  const P = kupdatePeriod(o.interval, o.hz);
  const window = o.hold + o.expire + 2 * P + 1;
  const gap = 200;
  for (let seed = o.seed; seed < o.seed + 50; seed++) {
    const r = simulate(
      {
        kernel: preset,
        caller: "odirect",
        backing: backingOf(fs) ?? "ext4",
        files: 1,
        pagesPerFile: 1,
        pinners: 1,
        pagesPerPin: 1,
        pinDuration: `fixed:${o.hold}`,
        pinGap: `fixed:${gap}`,
        duration: gap + o.hold,
        dirtyExpire: o.expire,
        writebackInterval: o.interval,
        hz: o.hz,
        cpuWriteRate: 0,
        dmaWriteRate: 100,
        seed,
      },
      { tracePages: [0] },
    );
    const rows = r.trace ?? [];
    const pin = rows.find((x) => x.pins + x.gets > 0);
    if (!pin || pin.t + window > gap + o.hold) continue;
    const end = pin.t + o.hold;
    const inWin = rows.filter((x) => x.t >= pin.t && x.t <= pin.t + window && x.event !== "end-of-run sync");
    const clears = inWin.filter((x, i) => i > 0 && inWin[i - 1].dirty === 1 && x.dirty === 0);
    const release = inWin.find((x) => x.t >= end - 1e-9 && x.pins + x.gets === 0);
    const starts = inWin.filter((x, i) => i > 0 && inWin[i - 1].writeback === 0 && x.writeback === 1).length;
    const last = rows[rows.length - 1];
    return {
      clearsWhileHeld: clears.filter((x) => x.t < end).map((x) => x.t - pin.t),
      dirtyAfterRelease: release?.dirty ?? -1,
      writebacks: starts,
      diskHoldsRead: last.disk === last.mem && last.mem > 0,
      seed,
    };
  }
  throw new ProbeError(`model: no seed from ${o.seed} put the O_DIRECT pin early enough in the run`);
}

const byteName = (b: number) =>
  b === RAW_DISK_BYTE
    ? "the read's data"
    : b === 0x22
      ? "the store's data"
      : b === 0x11
        ? "the file's first data"
        : `0x${b.toString(16)}`;

/** The kernel side of the disk row: the bytes on disk and in memory, and the errors met on the way. */
function diskText(r: RaceRecord): string {
  const parts = [`${byteName(r.diskByte)}${r.diskUniform ? "" : " (mixed bytes)"}; in memory ${byteName(r.memByte)}`];
  if (r.diskErrno) parts.push(`the first read back failed with errno ${r.diskErrno} (a writeback error)`);
  if (r.warnings)
    parts.push(`${r.warnings} kernel messages at warning level or above (first: ${r.firstWarning.slice(0, 100)})`);
  if (r.settleErrno)
    parts.push(`the setup's syncfs first failed with errno ${r.settleErrno} (an earlier step's writeback error)`);
  return parts.join("; ");
}

/** The sides of the clear row: the kernel's clears in flight, the model's, and whether they agree (null: the read did not stay in flight through the flusher's window, so nothing was measured). */
function clearSides(r: RaceRecord, m: RaceModel, E: number, P: number): [string, string, boolean | null] {
  const end = E + P + r.pollMs / 1000;
  const model = m.clearsWhileHeld.length
    ? `clears at ${m.clearsWhileHeld.map((t) => t.toFixed(3)).join(", ")} s (kupdate, seed ${m.seed})`
    : "never while held";
  if (r.readSeconds < end)
    return [
      `not measured here: the read completed at ${r.readSeconds.toFixed(3)} s, before the flusher's window ended (${end.toFixed(3)} s after the store)`,
      model,
      null,
    ];
  const held = r.clears.filter((c) => c.inFlight);
  const first = held[0]?.t ?? null;
  const kernel =
    first === null
      ? `never cleared while in flight (${r.clears.length} clears after)`
      : `clears at ${held.map((c) => c.t.toFixed(3)).join(", ")} s, read done at ${r.readSeconds.toFixed(3)} s`;
  const agree =
    first === null
      ? m.clearsWhileHeld.length === 0
      : m.clearsWhileHeld.length > 0 && first >= E && first < E + P + r.pollMs / 1000;
  return [kernel, model, agree];
}

/** The race's rows on `fs` against raceModel on the preset. */
export function raceRows(
  fs: string,
  r: RaceRecord | null,
  preset: KernelId | null,
  o: { hz: number; lab: LabConfig; seed: number },
  why: string,
): ComparisonRow[] {
  const q = "a shared page stored to, then held by the delayed O_DIRECT read while the flusher runs";
  if (r === null)
    return ["PG_dirty clears while the read is in flight", "times written back", "on disk after sync"].map((w) =>
      notMeasured("race", fs, `race: ${w}, ${q}`, why),
    );
  const E = r.expire;
  const W = r.interval;
  const P = kupdatePeriod(W, o.hz);
  const hold = o.lab.race.delayMs / 1000;
  const m = raceModel(preset, fs, { expire: E, interval: W, hz: o.hz, hold, seed: o.seed });
  const poll = r.pollMs / 1000;
  const ok = r.readRc === 4096;
  const row = (what: string, kernel: string, model: string, agree: boolean | null, rule: string): ComparisonRow => ({
    part: "race",
    fs,
    quantity: `${fs}: race: ${what}, ${q}`,
    kernel,
    kernelInterval: null,
    model,
    modelInterval: null,
    agree: ok ? agree : null,
    rule,
  });
  const windowText = `[E, E+P+poll) = [${E.toFixed(2)}, ${(E + P + poll).toFixed(3)}) s`;
  return [
    PIN_ROW("race", fs, r, preset),
    row(
      `PG_dirty clears while the read is in flight (E ${E} s, W ${W} s, delay ${hold} s), the first ${windowText} after the store`,
      ...clearSides(r, m, E, P),
      "both clear (the kernel's first clear inside the window) or neither; the window is the flusher's rule for an inode dirtied by the store",
    ),
    row(
      "PG_dirty just after the read completes",
      r.afterCompletion === null ? "unreadable" : `dirty ${r.afterCompletion.dirty}`,
      `dirty ${m.dirtyAfterRelease} (release ${callerProfile("odirect", preset ?? NEWEST_KERNEL).release})`,
      r.afterCompletion === null ? null : r.afterCompletion.dirty === m.dirtyAfterRelease,
      "equal",
    ),
    row(
      `times written back (PG_dirty cleared: folio_clear_dirty_for_io), the store to ${(E + 2 * W + 1.5).toFixed(1)} s after the read's end`,
      `${r.clears.length} (PG_writeback seen set ${r.writebackStarts} times at ${r.pollMs} ms polls; the disk's write I/Os meanwhile ${r.deviceWrites[1] - r.deviceWrites[0]}, journal and metadata included)`,
      `${m.writebacks}`,
      r.clears.length === m.writebacks,
      "equal",
    ),
    row(
      "on disk after sync (the file's block read back with O_DIRECT)",
      diskText(r),
      m.diskHoldsRead ? "the read's data" : "older data",
      (r.diskByte === RAW_DISK_BYTE && r.diskUniform) === m.diskHoldsRead,
      "both the read's data, or both older",
    ),
  ];
}
