/**
 * The comparison table: one row per quantity, the kernel's value with its interval beside
 * the model's, and whether they agree. Every row has both sides; a part that did not run
 * has no rows. A disagreement is a row with `agree: false`, never a dropped row.
 */
import { wilsonInterval } from "../stats/wilson-interval.js";
import { meanConfidenceInterval } from "../stats/mean-confidence-interval.js";
import type { LabPart, Part } from "./environment.js";
import {
  ksDistanceUniform,
  type CleanDelayKernel,
  type DetectorKernel,
  type LongtermKernel,
  type WindowFraction,
} from "./stats.js";
import type { CleanDelayModel, ModelRegistration } from "./model.js";
import { anonRules } from "../model/anon.js";
import { KERNEL_IDS, NEWEST_KERNEL, type KernelId } from "../model/kernels.js";

/** One row of the comparison table: a quantity, the kernel's value beside the model's, and the verdict. */
export interface ComparisonRow {
  /** The part (probe) the row belongs to. */
  part: Part | LabPart;
  /** The filesystem the row was measured on, where a lab guest measured several (absent on the host). */
  fs?: string;
  /** What is compared, in words, with its unit and the window or condition. */
  quantity: string;
  /** The kernel's value as measured. */
  kernel: string;
  /** Its 95 % interval (or exact bounds), text; null when a single exact observation. */
  kernelInterval: string | null;
  /** The model's value, or why it has none ("unavailable: …", "no samples"). */
  model: string;
  /** The model's 95 % interval (or critical value), text; null when the model's answer is exact. */
  modelInterval: string | null;
  /** true: the two sides agree by `rule`; false: they disagree; null: the kernel side could not be measured here (the reason is in `kernel`). */
  agree: boolean | null;
  /** How agreement is judged, or why it is not. */
  rule: string;
  /** Samples behind the kernel's side (delays, passes on the lattice); absent for a row decided by one exact observation. */
  samples?: number;
  /** What `samples` counts, for the verdict ("passes"); default "samples". */
  sampleUnit?: string;
  /**
   * false when the rule could not have refuted the model with these samples (the kernel's
   * interval is wider than RESOLUTION asks): an agreement is then "not refuted by n
   * samples". Absent: the rule has the power it needs (an exact observation, or enough samples).
   */
  power?: boolean;
  /**
   * A difference and the machine: what about it was loaded (late flusher passes, the load
   * average above the CPUs), and whether that explains the difference (`explains`: without
   * the delays of the late passes the row agrees). Absent or null for an agreement, or a
   * difference on an idle machine.
   */
  machine?: {
    /** What was loaded: the passes off the lattice with their offsets, the load average above the CPUs. */
    why: string;
    /** Whether that explains the difference: without the late passes' delays the row agrees. */
    explains: boolean;
  } | null;
}

/**
 * What a row's kernel interval must resolve for an agreement to mean something (its power):
 * a share to 0.1 (90 % told from 100 %), a mean delay to a quarter of P, the KS critical
 * value to 0.25 (the distance of a window shifted by a quarter of P), the period to twice
 * PERIOD_TOLERANCE. Below that, a row that agrees is "not refuted by n samples".
 */
export const RESOLUTION = { share: 0.1, meanOfPeriod: 0.25, ks: 0.25 } as const;

/** The machine as the comparison needs it: its load averages before and after the probes, and its CPUs. */
export interface MachineLoad {
  /** 1, 5 and 15 minute load averages when the run started (os.loadavg()); null where unknown. */
  loadAverage: readonly number[] | null;
  /** The same after the probes; absent or null where unknown. */
  loadAverageEnd?: readonly number[] | null;
  /** Online CPUs (0: unknown). */
  cpus: number;
}

/** A row's verdict in words: agree, "not refuted by n samples", DIFFER, "DIFFER (the machine's: …)", n/a. */
export function rowVerdict(r: ComparisonRow): string {
  if (r.agree === true)
    return r.power === false ? `not refuted by ${r.samples ?? "few"} ${r.sampleUnit ?? "samples"}` : "agree";
  if (r.agree === false)
    return r.machine ? (r.machine.explains ? "DIFFER (the machine's)" : "DIFFER (under load)") : "DIFFER";
  return "n/a";
}

/** The verdict counts of a comparison: agree (with power), not refuted (agree without power), differ, not measured. */
export function verdictCounts(rows: readonly ComparisonRow[]): {
  agree: number;
  notRefuted: number;
  differ: number;
  notMeasured: number;
} {
  const agree = rows.filter((r) => r.agree === true && r.power !== false).length;
  const notRefuted = rows.filter((r) => r.agree === true && r.power === false).length;
  const differ = rows.filter((r) => r.agree === false).length;
  return { agree, notRefuted, differ, notMeasured: rows.length - agree - notRefuted - differ };
}

const f2 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "?" : x.toFixed(2);
const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "?" : x.toFixed(3);
const iv = (lo: number | null | undefined, hi: number | null | undefined, f = f2) =>
  lo === null || lo === undefined || hi === null || hi === undefined ? null : `[${f(lo)}, ${f(hi)}]`;
const overlap = (a: [number, number] | null, b: [number, number] | null) =>
  a !== null && b !== null && a[0] <= b[1] && b[0] <= a[1];

/** Maximum |P_kernel - P_model| for the period to agree, seconds (issue 14). */
export const PERIOD_TOLERANCE = 0.05;

/**
 * The clean-delay rows: for pages dirtied in a clean inode, the share of delays in [E, E + P),
 * the mean delay and the KS distance to U[E, E + P); the flusher's period P; and, when the
 * probe stored a second page into the already-dirty inode, that its delay window is shifted
 * by the inherited dirtied_when (fs/fs-writeback.c __mark_inode_dirty) and that both pages
 * go in one pass (kupdate-style writeback writes the expired inode whole: fs/fs-writeback.c
 * writeback_sb_inodes).
 */
export function cleanDelayRows(k: CleanDelayKernel, m: CleanDelayModel, load?: MachineLoad): ComparisonRow[] {
  const none = m.unavailable ? `unavailable: ${m.unavailable}` : "no samples";
  const rows = [windowRow(k, m, none), meanDelayRow(k, m, none), periodRow(k, m), ksRow(k, m, none)];
  // Dirty inode: the inherited dirtied_when shifts the window by -d.
  if (k.dirtyInode.count > 0 || k.second > 0) rows.push(...dirtyInodeRows(k, m));
  const busy = machineNote(k, load);
  // A difference with late passes, or on a loaded machine, says so; it is the machine's
  // where the row agrees without the late passes' delays (explainedByLatePasses).
  return rows.map((r) => {
    const explains = r.machine?.explains === true;
    const { machine: _, ...rest } = r;
    return r.agree === false && busy ? { ...rest, machine: { why: busy, explains } } : rest;
  });
}

/**
 * A window row's difference is the machine's when every delay out of the window was cleaned
 * in a pass off the lattice (a late pass): over the on-lattice passes alone all are in it.
 */
function explainedByLatePasses(all: WindowFraction, onLattice: WindowFraction): boolean {
  return all.inWindow < all.count && onLattice.count > 0 && onLattice.inWindow === onLattice.count;
}

/**
 * Why this machine may be behind a difference: the flusher passes that ran late (off the
 * lattice), and the load average above the CPUs; null when neither.
 */
export function machineNote(k: CleanDelayKernel, load?: MachineLoad): string | null {
  const late = k.period.passes.filter((p) => !p.onLattice);
  const parts: string[] = [];
  if (late.length)
    parts.push(
      `${late.length} flusher pass${late.length === 1 ? "" : "es"} off the lattice (${late.map((p) => `${p.offset >= 0 ? "+" : ""}${p.offset.toFixed(2)} s`).join(", ")})`,
    );
  // The 1-minute load average, before or after the probes, whichever is higher.
  const la = Math.max(load?.loadAverage?.[0] ?? -1, load?.loadAverageEnd?.[0] ?? -1);
  if (load && load.cpus > 0 && la > load.cpus)
    parts.push(`load average ${la.toFixed(2)} on ${load.cpus} CPU${load.cpus === 1 ? "" : "s"}`);
  return parts.length ? parts.join("; ") : null;
}

/** Whether a 95 % interval [lo, hi] is narrow enough (width <= `width`) for the rule to refute. */
function resolves(lo: number | null | undefined, hi: number | null | undefined, width: number): boolean {
  return lo !== null && lo !== undefined && hi !== null && hi !== undefined && hi - lo <= width;
}

/** Clean inode: share of delays in [E, E + P), kernel and model, by Wilson intervals. */
function windowRow(k: CleanDelayKernel, m: CleanDelayModel, none: string): ComparisonRow {
  const E = k.expire;
  const P = m.period;
  const mc = m.cleanInode;
  const kw = k.cleanInode.window;
  const mw: [number, number] | null = mc?.count
    ? wilsonInterval(Math.round((mc.fractionInWindow ?? 0) * mc.count), mc.count)
    : null;
  return {
    part: "clean-delay",
    quantity: `clean inode: share of delays in [E, E+P) = [${f2(E)}, ${f2(E + P)}) s`,
    kernel: `${kw.inWindow}/${kw.count} (delays ${f3(k.cleanInode.min)}..${f3(k.cleanInode.max)} s)`,
    kernelInterval: iv(kw.lo, kw.hi),
    model: mc ? `${f3(mc.fractionInWindow)} of ${mc.count} (delays ${f3(mc.min)}..${f3(mc.max)} s)` : none,
    modelInterval: mw ? iv(mw[0], mw[1]) : null,
    agree: kw.count === 0 ? null : overlap(kw.lo === null ? null : [kw.lo, kw.hi as number], mw),
    rule: "95 % Wilson intervals overlap; the kernel's clean instant lies between its last dirty and first clean poll",
    samples: kw.count,
    power: resolves(kw.lo, kw.hi, RESOLUTION.share),
    machine: explainedByLatePasses(kw, k.cleanInode.windowOnLattice) ? { why: "", explains: true } : null,
  };
}

/** Clean inode: mean delay, kernel and model, by t intervals. */
function meanDelayRow(k: CleanDelayKernel, m: CleanDelayModel, none: string): ComparisonRow {
  const mc = m.cleanInode;
  const mm = mc?.samples.length ? meanConfidenceInterval(mc.samples) : null;
  return {
    part: "clean-delay",
    quantity: "clean inode: mean delay (s); E + P/2 for a flusher phase uniform in [0, P)",
    kernel: f3(k.cleanInode.mean),
    kernelInterval: iv(k.cleanInode.meanLo, k.cleanInode.meanHi, f3),
    model: mm ? f3(mm.mean) : none,
    modelInterval: mm ? iv(mm.lo, mm.hi, f3) : null,
    agree:
      k.cleanInode.count === 0
        ? null
        : mm !== null &&
          mm.lo !== null &&
          k.cleanInode.meanLo !== null &&
          overlap([k.cleanInode.meanLo, k.cleanInode.meanHi as number], [mm.lo, mm.hi as number]),
    rule: "95 % t intervals overlap",
    samples: k.cleanInode.count,
    power: resolves(k.cleanInode.meanLo, k.cleanInode.meanHi, 2 * RESOLUTION.meanOfPeriod * m.period),
  };
}

/**
 * The flusher's period: measured on the lattice most passes share, late passes left out
 * (period.ts estimatePeriod), against the model's kupdatePeriod(W, HZ). It agrees within
 * PERIOD_TOLERANCE; it has power when its bounds are no wider than twice that.
 */
function periodRow(k: CleanDelayKernel, m: CleanDelayModel): ComparisonRow {
  const e = k.period;
  const kp = e.period;
  const on = e.passes.length - e.offLattice;
  const left = e.offLattice
    ? ` (${on} of ${e.passes.length} passes on one lattice; ${e.offLattice} left out: ${e.passes
        .filter((p) => !p.onLattice)
        .map((p) => `pass ${p.index} ${p.offset >= 0 ? "+" : ""}${p.offset.toFixed(2)} s`)
        .join(", ")})`
    : "";
  return {
    part: "clean-delay",
    quantity: `flusher period P (s), from ${e.passes.length} passes; model kupdatePeriod(W, HZ)`,
    kernel: kp === null ? `not measured: ${on} pass(es) on one lattice, 2 needed${left}` : `${f3(kp)}${left}`,
    kernelInterval: iv(e.lo, e.hi, f3),
    model: f3(m.period),
    modelInterval: null,
    agree: kp === null ? null : Math.abs(kp - m.period) <= PERIOD_TOLERANCE,
    rule: `|P_kernel - P_model| <= ${PERIOD_TOLERANCE} s; passes more than ${f3(e.tolerance)} s off the lattice left out`,
    samples: on,
    sampleUnit: on === 1 ? "pass" : "passes",
    power: resolves(e.lo, e.hi, 2 * PERIOD_TOLERANCE),
  };
}

/** Clean inode: Kolmogorov-Smirnov distance to the uniform law on the window, both below the 5 % critical value. */
function ksRow(k: CleanDelayKernel, m: CleanDelayModel, none: string): ComparisonRow {
  const E = k.expire;
  const mc = m.cleanInode;
  const ksM = mc?.samples.length ? ksDistanceUniform(mc.samples, E, E + m.period) : null;
  const crit = (n: number) => 1.358 / Math.sqrt(n);
  return {
    part: "clean-delay",
    quantity: "clean inode: Kolmogorov-Smirnov distance to U[E, E+P)",
    kernel: f3(k.cleanInode.ks),
    kernelInterval: k.cleanInode.count ? `5 % critical ${f3(crit(k.cleanInode.count))}` : null,
    model: ksM === null ? none : f3(ksM),
    modelInterval: mc?.count ? `5 % critical ${f3(crit(mc.count))}` : null,
    agree:
      k.cleanInode.ks === null
        ? null
        : ksM !== null && k.cleanInode.ks < crit(k.cleanInode.count) && ksM < crit(mc!.count),
    rule: "both below the 5 % critical value 1.358/sqrt(n) of the one-sample KS test",
    samples: k.cleanInode.count,
    power: k.cleanInode.count > 0 && crit(k.cleanInode.count) <= RESOLUTION.ks,
  };
}

/** Dirty inode (a page stored d s after the first): every delay in [E - d, E - d + P), and both pages in one pass. */
function dirtyInodeRows(k: CleanDelayKernel, m: CleanDelayModel): ComparisonRow[] {
  const E = k.expire;
  const P = m.period;
  const d = k.second;
  const dw = k.dirtyInode.window;
  return [
    {
      part: "clean-delay",
      quantity: `dirty inode (page stored ${f2(d)} s later): share of delays in [E-d, E-d+P) = [${f2(E - d)}, ${f2(E - d + P)}) s`,
      kernel: `${dw.inWindow}/${dw.count} (delays ${f3(k.dirtyInode.min)}..${f3(k.dirtyInode.max)} s)`,
      kernelInterval: iv(dw.lo, dw.hi),
      model: "1 (dirtied_when set only on the inode's clean->dirty transition, docs/model.md#state)",
      modelInterval: null,
      agree: dw.count === 0 ? null : dw.inWindow === dw.count,
      rule: "every kernel delay in the window",
      samples: dw.count,
      power: resolves(dw.lo, dw.hi, RESOLUTION.share),
      machine: explainedByLatePasses(dw, k.dirtyInode.windowOnLattice) ? { why: "", explains: true } : null,
    },
    {
      part: "clean-delay",
      quantity: "dirty inode: second page cleaned in the same flusher pass as the first",
      kernel: `${k.samePass.count}/${k.samePass.of}`,
      kernelInterval: k.samePass.of ? iv(...wilsonInterval(k.samePass.count, k.samePass.of)) : null,
      model: "1 (kupdate writes every dirty page of an expired inode in one pass, docs/model.md#the-flushers)",
      modelInterval: null,
      agree: k.samePass.of === 0 ? null : k.samePass.count === k.samePass.of,
      rule: "every trial in one pass",
      samples: k.samePass.of,
      power: k.samePass.of > 0 && resolves(...wilsonInterval(k.samePass.count, k.samePass.of), RESOLUTION.share),
    },
  ];
}

/** Why a step has no threshold: no k in range copied, every k did, or it is not bracketed (monotone or not). */
function bracketText(s: DetectorKernel["lru"]): string {
  const range = `k ${s.perK[0].k}..${s.perK[s.perK.length - 1].k}`;
  if (s.perK.every((e) => e.copied === 0)) return `no threshold in ${range}: no trial copied`;
  if (s.perK.every((e) => e.copied === e.trials)) return `no threshold in ${range}: every trial copied`;
  return `not bracketed (${s.monotone ? "monotone" : "not monotone"})`;
}

/** One threshold row of the detector: the kernel's step in k beside the model's threshold (null: the model's fork never copies, for `why`). */
function thresholdRow(
  s: DetectorKernel["lru"],
  m: number | null,
  label: string,
  why: string | null | undefined,
  preset: string,
): ComparisonRow {
  const ownRef = (KERNEL_IDS as readonly string[]).includes(preset)
    ? anonRules(preset as KernelId).forkOwnReference === 1
    : true;
  return {
    part: "detector",
    quantity: `fork copies an order-0 anon page from k plain refs: ${label}`,
    kernel:
      s.threshold !== null
        ? `k = ${s.threshold}`
        : s.perK.length === 0
          ? "not measured: no trial in this state"
          : `${bracketText(s)}: ${s.perK.map((e) => `${e.k}:${e.copied}/${e.trials}`).join(" ")}`,
    kernelInterval: s.lo !== null && s.hi !== null ? `(${s.lo - 1}, ${s.hi}]` : null,
    model:
      m === null
        ? (why ?? `none up to 4 x bias (the model's fork on ${preset})`)
        : `k = ${m} (the model's fork on ${preset}: copy_present_pte, refcount${ownRef ? " + fork's own ref" : ""} >= bias 1024)`,
    modelInterval: null,
    agree:
      s.perK.length === 0
        ? null
        : m === null
          ? s.perK.every((e) => e.copied === 0)
          : s.threshold !== null && s.threshold === m,
    rule: "equal thresholds (no copy at any k when the model has none)",
  };
}

/**
 * The detector rows: the step of fork's copy decision in k plain references with the page on
 * the LRU and in the per-CPU lru_add batch, fork without MMF_HAS_PINNED, a PMD THP, and one
 * real FOLL_PIN (mm/memory.c copy_present_pte → folio_needs_cow_for_dma →
 * folio_maybe_dma_pinned, include/linux/mm.h).
 */
export function detectorRows(
  k: DetectorKernel,
  model: {
    preset?: string;
    lru: number | null;
    batch: number | null;
    noPinnedFlag: boolean;
    ioUringPin: boolean;
    thp?: boolean;
    noThresholdWhy?: string | null;
  },
): ComparisonRow[] {
  const preset = model.preset ?? NEWEST_KERNEL;
  const rows = [
    thresholdRow(k.lru, model.lru, "page on the LRU (lru_add batch drained)", model.noThresholdWhy, preset),
    thresholdRow(k.batch, model.batch, "page in the per-CPU lru_add batch (+1 ref)", model.noThresholdWhy, preset),
  ];
  const thp = model.thp ?? false;
  rows.push({
    part: "detector",
    quantity: `fork copies without MMF_HAS_PINNED (k = ${k.noPinnedFlag.k})`,
    kernel: k.noPinnedFlag.trials ? `${k.noPinnedFlag.copied}/${k.noPinnedFlag.trials} copied` : "not measured",
    kernelInterval: null,
    model: model.noPinnedFlag ? "copied" : "never (folio_needs_cow_for_dma needs MMF_HAS_PINNED)",
    modelInterval: null,
    agree: k.noPinnedFlag.trials === 0 ? null : k.noPinnedFlag.copied > 0 === model.noPinnedFlag,
    rule: "same decision in every trial",
  });
  rows.push({
    part: "detector",
    quantity: `fork copies a PMD THP (k = ${"k" in k.thp ? k.thp.k : "?"} plain refs, no pin)`,
    kernel: "skipped" in k.thp ? `not measured: ${k.thp.skipped}` : k.thp.copied ? "copied" : "not copied",
    kernelInterval: null,
    model: `${thp ? "copied" : "not copied"} (the model's fork of an order-9 anon folio on ${preset}: exact _pincount, include/linux/mm.h folio_maybe_dma_pinned)`,
    modelInterval: null,
    agree: "skipped" in k.thp ? null : k.thp.copied === thp,
    rule: "same decision",
  });
  rows.push({
    part: "detector",
    quantity: "fork copies a page with one io_uring FOLL_PIN (k = 0)",
    kernel: !k.ioUringPin
      ? "not measured"
      : k.ioUringPin.pinErrno
        ? `not measured: io_uring pin failed, errno ${k.ioUringPin.pinErrno}`
        : k.ioUringPin.copied
          ? "copied"
          : "not copied",
    kernelInterval: null,
    model: model.ioUringPin ? "copied (refcount 1 + 1024 + 1 >= 1024)" : "not copied",
    modelInterval: null,
    agree: !k.ioUringPin || k.ioUringPin.pinErrno ? null : k.ioUringPin.copied === model.ioUringPin,
    rule: "same decision",
  });
  return rows;
}

/**
 * The long-term pin rows: io_uring REGISTER_BUFFERS over each mapping kind (the model's
 * verdict from `model`, decided by gupDecide on `preset` or refusal.ts), then an O_DIRECT read
 * into a clean shared file page (pins, data right, page dirty with buffers after GUP's write
 * fault) and, where the probe read them, /proc/vmstat's nr_foll_pin_acquired/released deltas.
 */
export function longtermRows(
  k: LongtermKernel,
  model: ModelRegistration[],
  preset: string,
  odirectModel: { pinned: boolean; dirty: boolean; buffers: boolean; follPin?: boolean },
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const m of model) {
    const r = k.registrations.find((x) => x.mapping === m.mapping);
    rows.push({
      part: "longterm",
      quantity: `io_uring REGISTER_BUFFERS (FOLL_LONGTERM|FOLL_WRITE) over ${m.mapping}`,
      kernel: !r
        ? "not measured"
        : r.verdict === "mixed"
          ? `untouched ${r.untouched}, touched ${r.touched}`
          : r.verdict,
      kernelInterval: null,
      model: `${m.verdict} (${m.source.startsWith("gupDecide") ? `gupDecide, preset ${preset}` : "kernel rule"}: ${m.why})`,
      modelInterval: null,
      agree: !r ? null : r.verdict === m.verdict,
      rule: "same verdict untouched and touched",
    });
  }
  const o = k.odirect;
  rows.push({
    part: "longterm",
    quantity: "O_DIRECT pread into a clean MAP_SHARED file page (FOLL_PIN, not LONGTERM): succeeds, data correct",
    kernel: `${Math.min(o.succeeded, o.dataCorrect)}/${o.count}`,
    kernelInterval: null,
    model: odirectModel.pinned ? "succeeds (FOLL_PIN without FOLL_LONGTERM is allowed)" : "refused",
    modelInterval: null,
    agree: o.count === 0 ? null : (o.succeeded === o.count && o.dataCorrect === o.count) === odirectModel.pinned,
    rule: "every read succeeds with the right bytes",
  });
  rows.push({
    part: "longterm",
    quantity: "... the page is dirty afterwards (PG_dirty 0 -> 1), buffers attached",
    kernel: `dirty ${o.dirtyAfter}/${o.count} (clean before ${o.cleanBefore}/${o.mappedBefore} mapped), private ${o.privateAfter}/${o.count}`,
    kernelInterval: null,
    model: `${odirectModel.dirty ? "dirty" : "clean"}, ${odirectModel.buffers ? "buffers attached" : "no buffers"} (GUP's write fault: page_mkwrite, set_page_dirty)`,
    modelInterval: null,
    agree:
      o.count === 0
        ? null
        : (o.dirtyAfter === o.count) === odirectModel.dirty && (o.privateAfter === o.count) === odirectModel.buffers,
    rule: "every page dirty and with buffers",
  });
  if (k.pins) {
    rows.push({
      part: "longterm",
      quantity: `... pins counted: /proc/vmstat nr_foll_pin_acquired delta over ${k.pins.preads} reads`,
      kernel: `+${k.pins.acquiredDelta} acquired, +${k.pins.releasedDelta} released`,
      kernelInterval: null,
      model:
        odirectModel.follPin === false
          ? "+0 (FOLL_GET before 6.3: block/bio.c bio_iov_iter_get_pages takes plain references)"
          : `+${k.pins.preads} (one FOLL_PIN per read, released at completion)`,
      modelInterval: null,
      agree:
        odirectModel.follPin === false
          ? k.pins.acquiredDelta < k.pins.preads
          : k.pins.acquiredDelta >= k.pins.preads && k.pins.releasedDelta >= k.pins.preads,
      rule:
        odirectModel.follPin === false
          ? "delta < reads (FOLL_GET reads add no pin; other processes' pins can only add)"
          : "delta >= reads (other processes' pins can only add)",
    });
  }
  return rows;
}
