/**
 * The model's side of every comparison, computed by the model's own code on the kernel's
 * parameters: clean delays from `simulate(params, { traceClean: true })` (engine), the
 * detector threshold and fork's decision from PageCache.folioMaybeDmaPinned (model), the
 * refusal matrix from the coverage issue's presets (src/model/gup-rules.ts gupDecide) for
 * this release, with refusal.ts for what the presets cannot express.
 */
import { simulate } from "../engine/simulate.js";
import { kupdatePeriod } from "../engine/flusher.js";
import { PageCache } from "../model/page-cache.js";
import { getPolicy } from "../policies/index.js";
import { runEnv } from "../model/env.js";
import { BACKING_PROFILES, BACKINGS, type Backing } from "../model/backings.js";
import { gupDecide } from "../model/gup-rules.js";
import { hasFeature, KERNEL_IDS, NEWEST_KERNEL, kernelVersion, type KernelId } from "../model/kernels.js";
import { FORK, copyPresentPte, initAnonPage, mmSetHasPinned } from "../model/anon.js";
import { expectedRegistration, MAPPING_KINDS, releaseOf, type MappingKind } from "./refusal.js";

import type { CleanDelayStats } from "../engine/clean-delays.js";

/** The model's side of the clean-delay comparison (modelCleanDelays). */
export interface CleanDelayModel {
  /** Parameters the model ran with. */
  params: Record<string, unknown>;
  /** P, the model's timer-wheel period kupdatePeriod(W, hz), seconds. */
  period: number;
  /** E the model ran with, seconds. */
  expire: number;
  /** Clean delays of pages stored into a clean inode; null when unavailable. */
  cleanInode: CleanDelayStats | null;
  /** Clean delays of pages stored into an already dirty inode; null when unavailable. */
  dirtyInode: CleanDelayStats | null;
  /** Why the engine's clean delays are missing (null when present). */
  unavailable: string | null;
}

/**
 * The model run for clean delays: CPU stores only (no pinners, no fsync, reclaim or
 * truncate), many small files so most stores dirty a clean inode, on the kernel's E, W, HZ.
 */
export function cleanDelayParams(o: {
  expire: number;
  writebackInterval: number;
  hz: number;
  quick: boolean;
  seed: number;
}): Record<string, unknown> {
  return {
    policy: "foll-pin",
    seed: o.seed,
    duration: o.quick ? 900 : 3600,
    files: 256,
    pagesPerFile: 4,
    pinners: 0,
    cpuWriteRate: 0.001,
    dirtyExpire: o.expire,
    writebackInterval: o.writebackInterval,
    hz: o.hz,
    fsyncRate: 0,
    reclaimRate: 0,
    truncateRate: 0,
    dirtyBackgroundPages: 0,
  };
}

/** The model's clean delays on the kernel's E, W and HZ: one simulate() run with traceClean (cleanDelayParams). */
export function modelCleanDelays(o: {
  expire: number;
  writebackInterval: number;
  hz: number;
  quick: boolean;
  seed: number;
}): CleanDelayModel {
  const params = cleanDelayParams(o);
  const period = kupdatePeriod(o.writebackInterval, o.hz);
  // traceClean and cleanDelays come with the fidelity issue (interfaces.md).
  const run = (simulate as unknown as (p: unknown, opts: Record<string, unknown>) => Record<string, unknown>)(params, {
    traceClean: true,
  });
  const cd = run.cleanDelays as
    | { period: number; expire: number; cleanInode: CleanDelayStats; dirtyInode: CleanDelayStats }
    | undefined;
  if (!cd)
    return {
      params,
      period,
      expire: o.expire,
      cleanInode: null,
      dirtyInode: null,
      unavailable: "this pinsim's simulate() has no traceClean (fidelity issue not merged)",
    };
  return {
    params,
    period: cd.period,
    expire: cd.expire,
    cleanInode: cd.cleanInode,
    dirtyInode: cd.dirtyInode,
    unavailable: null,
  };
}

/** One page of a fresh PageCache, for asking the model about a single page. */
function onePage(bias: number): PageCache {
  return new PageCache({ files: 1, pagesPerFile: 1, bias, env: runEnv({ policy: getPolicy("foll-pin") }) });
}

/**
 * fork()'s decision for one anonymous page in the model: the model's own fork
 * (src/model/anon.ts copyPresentPte, the engine's and the checker's) on a page of backing
 * `anon` under release `kernel` (default the newest preset, 6.18), as the probe sets it up:
 * mapped by the parent alone (exclusive), `k` plain references (vmsplice: FOLL_GET),
 * `batch` one more for the per-CPU lru_add batch, `pins` FOLL_PIN pins, MMF_HAS_PINNED as
 * `hasPinned` says; `folioOrder` 9 for a PMD THP (its pin count is exact). Whether the
 * child got a copy (mm/memory.c copy_present_pte -> folio_needs_cow_for_dma).
 */
export function modelForkCopies(o: {
  k: number;
  batch: 0 | 1;
  pins?: number;
  hasPinned: boolean;
  bias?: number;
  kernel?: KernelId;
  folioOrder?: number;
}): boolean {
  const env = runEnv({
    policy: getPolicy("foll-pin"),
    kernel: o.kernel ?? NEWEST_KERNEL,
    backing: "anon",
    folioOrder: o.folioOrder ?? 0,
  });
  const pc = new PageCache({ files: 1, pagesPerFile: 1, bias: o.bias ?? 1024, env });
  initAnonPage(pc, 0, 1, o.batch);
  for (let i = 0; i < o.k; i++) pc.tryGrabFolio(0, false);
  for (let i = 0; i < (o.pins ?? 0); i++) pc.tryGrabFolio(0, true);
  if (o.hasPinned) mmSetHasPinned(pc, 0);
  return copyPresentPte(pc, 0) === FORK.COPIED;
}

/**
 * The smallest k of plain references at which the model's fork copies an order-0 page
 * (MMF_HAS_PINNED set) on release `kernel` (default 6.18), searched up to 4 * bias.
 */
export function modelThreshold(batch: 0 | 1, bias = 1024, kernel: KernelId = NEWEST_KERNEL): number | null {
  for (let k = 0; k <= 4 * bias; k++) if (modelForkCopies({ k, batch, hasPinned: true, bias, kernel })) return k;
  return null;
}

/**
 * O_DIRECT read into a clean page of a shared file mapping, in the model: slow GUP with
 * FOLL_WRITE faults the page in through page_mkwrite (buffers attached, set_page_dirty),
 * then takes a FOLL_PIN (docs/model.md#gup-for-write-pin) on a release whose preset has
 * FEATURES.odirectPin (6.3: block/bio.c bio_iov_iter_get_pages -> iov_iter_extract_pages);
 * before it, a plain FOLL_GET reference (`follPin` false: nr_foll_pin_acquired does not
 * move, and the process gets no MMF_HAS_PINNED, which mm/gup.c sets for FOLL_PIN only).
 * `kernel` null: a current kernel. `backing` (default ext4) decides the private data that
 * page_mkwrite leaves (BackingProfile.privateData: ext4's buffer heads, btrfs's extent marker,
 * none for xfs, whose iomap_folio_state does not set PG_private on a single-block folio).
 */
export function modelOdirect(
  bias = 1024,
  kernel: KernelId | null = null,
  backing: Backing = "ext4",
): { pinned: boolean; dirty: boolean; buffers: boolean; follPin: boolean } {
  const follPin = kernel === null || hasFeature(kernel, "odirectPin");
  const pc = onePage(bias);
  pc.initPage(0, 1, 0);
  pc.pageMkwrite(0);
  const pinned = pc.tryGrabFolio(0, follPin);
  const buffers = backing === "ext4" ? pc.buffers(0) === 1 : BACKING_PROFILES[backing].privateData !== null;
  return { pinned, dirty: pc.dirty(0) === 1, buffers, follPin };
}

/** The model's verdict on io_uring's buffer registration over one mapping kind. */
export interface ModelRegistration {
  /** The mapping kind. */
  mapping: MappingKind;
  /** "pinned" or "refused (ERRNO)", in the kernel side's words. */
  verdict: string;
  /** The rule that gave the verdict, in words. */
  why: string;
  /** What decided: the coverage preset (gupDecide), or the rule of refusal.ts where the preset has no such case. */
  source: string;
}

/** The kernel preset for a release: the same major.minor if the coverage issue has it, else the newest preset not newer. */
export function presetFor(kernelRelease: string): { id: KernelId; exact: boolean } | null {
  const r = releaseOf(kernelRelease);
  if (!r) return null;
  const exact = KERNEL_IDS.find((id) => id === `${r[0]}.${r[1]}`);
  if (exact) return { id: exact, exact: true };
  const older = KERNEL_IDS.filter((id) => {
    const v = kernelVersion(id);
    return v[0] < r[0] || (v[0] === r[0] && v[1] <= r[1]);
  });
  return older.length ? { id: older[older.length - 1], exact: false } : null;
}

/**
 * The refusal matrix the model predicts for io_uring's registration (caller `io_uring`:
 * FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE) on this release's preset, from the coverage issue's
 * gupDecide (src/model/gup-rules.ts). Cases the preset cannot express use refusal.ts:
 * anonymous memory (no backing) and a read-only VMA (check_vma_flags refuses FOLL_WRITE on
 * a VMA without VM_WRITE before any pin rule); a filesystem with no preset backing too.
 */
export function modelRegistrations(fsType: string, kernelRelease: string): ModelRegistration[] {
  const preset = presetFor(kernelRelease);
  const backing = (BACKINGS as readonly string[]).includes(fsType) ? (fsType as Backing) : null;
  return MAPPING_KINDS.map((mapping): ModelRegistration => {
    const rule = expectedRegistration(mapping, fsType, kernelRelease);
    const fallback = (why: string) => ({ mapping, ...rule, source: `kernel rules, src/calibrate/refusal.ts (${why})` });
    if (!preset) return fallback(`no kernel preset for ${kernelRelease}`);
    if (mapping === "anon") return fallback("gup-rules has no anonymous backing");
    if (mapping === "file-shared-ro") return fallback("gup-rules does not model VMA permissions");
    const b: Backing | null = mapping === "memfd-shared" ? "tmpfs" : backing;
    if (!b) return fallback(`gup-rules has no backing ${fsType}`);
    const a = gupDecide({
      kernel: preset.id,
      mapping: mapping === "file-private" ? "private" : "shared",
      backing: b,
      access: "write",
      path: "fast",
      longTerm: true,
      caller: "io_uring",
    });
    return {
      mapping,
      verdict: a.pinned ? "pinned" : `refused (${a.errno})`,
      why: a.why,
      source: `gupDecide, preset ${preset.id}${preset.exact ? "" : " (nearest older preset)"}, caller io_uring, backing ${b}`,
    };
  });
}
