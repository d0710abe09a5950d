/**
 * A lab guest's output as a calibration folder in today's shape: the first filesystem's
 * clean-delay and longterm records (and the detector's) in `raw`/`kernel`/`model`, as on
 * the host, every filesystem's rows in `comparison` (each tagged with `fs`), and the lab's
 * own record (`lab`: image, accelerator, preset, per-filesystem records, timings).
 */
import { PACKAGE_VERSION } from "../../version.js";
import type { ComparisonRow } from "../compare.js";
import type { Environment, FilesystemInfo } from "../environment.js";
import { calibrationManifest, chooseHz, modelSide, type FinishInput } from "../finish.js";
import { presetFor } from "../model.js";
import { parseCleanDelay, parseDetector, parseLongterm } from "../parse.js";
import { cleanDelayKernel, detectorKernel, longtermKernel } from "../stats.js";
import { CALIBRATION_FORMAT, type Calibration, type CalibrationConfig, type CalibrationManifest } from "../store.js";
import type { StaticProbes } from "./host.js";
import { oomWhy, startPid } from "./console.js";
import { sectionOf, type GuestBoot, type GuestOutput } from "./output.js";
import type { LabConfig } from "./plan.js";
import type { GuestResult } from "./qemu.js";
import { guardRows, parseGuard, parseRace, raceRows, type GuardRecord, type RaceRecord } from "./pinned.js";
import { parseReclaim, reclaimKernel, reclaimRow, type ReclaimKernel } from "./reclaim.js";
import { configHz, type KernelImage } from "./spec.js";

/** Something a lab run could not measure, and why ("module xfs not in the image"). */
export interface NotMeasured {
  /** The filesystem or part concerned. */
  what: string;
  /** Why, in words. */
  why: string;
}

/** One filesystem's clean-delay and longterm sides (and the detector's, on the first). */
export interface LabFilesystem {
  /** The probes' records on this filesystem. */
  raw: Partial<Calibration["raw"]>;
  /** Their statistics. */
  kernel: Partial<Calibration["kernel"]>;
  /** The model's side on this filesystem's backing. */
  model: Partial<Calibration["model"]>;
}

/** calibration.json's `lab` record: how the guest was made and run, and what each filesystem gave. */
export interface LabInfo {
  /** `--kernel` as given. */
  spec: string;
  /** The Debian package, or "path". */
  source: string;
  /** The image's release (the guest's `uname -r`). */
  release: string;
  /** "kvm" or "tcg", and why. */
  accel: string;
  /** The accelerator's reason in words. */
  accelNote: string;
  /** The preset compared with: the newest not after the release, and whether it is the release's own. */
  preset: {
    /** The preset's id, e.g. "6.12". */
    id: string;
    /** Whether it is the release's own major.minor (else the newest preset before it). */
    exact: boolean;
  } | null;
  /** The lab's probe settings. */
  config: LabConfig;
  /** Filesystems formatted and mounted in the guest, in disk order, with mount options. */
  mounted: {
    /** Filesystem type. */
    fs: string;
    /** Its options in the guest's /proc/mounts. */
    options: string;
  }[];
  /** What was not measured, and why. */
  notMeasured: NotMeasured[];
  /** Per filesystem: the clean-delay and longterm sides, as `raw`/`kernel`/`model` are for the first. */
  filesystems: Record<string, LabFilesystem>;
  /** Per filesystem: the reclaim runs' deltas by mode. */
  reclaim: Record<
    string,
    {
      /** Under a memory cgroup's limit, or null if not run. */
      memcg: ReclaimKernel | null;
      /** Under machine-wide pressure, or null if not run. */
      kswapd: ReclaimKernel | null;
    }
  >;
  /** Per filesystem: calibrate/pinned.c's guard and race records (null: not run or failed). */
  pinned: Record<
    string,
    {
      /** Probe 3, the reclaim guard. */
      guard: GuardRecord | null;
      /** Probe 4, the race. */
      race: RaceRecord | null;
    }
  >;
  /** Seconds: fetching and unpacking the image, building probes/initramfs/disks, the guest's wall time, the guest's uptime at its boot record. */
  timings: {
    /** Fetching and unpacking the image (0.x s when cached). */
    fetch: number;
    /** Modules, disks, probes and the initramfs. */
    build: number;
    /** The guest's wall time, boot to power-off. */
    guest: number;
    /** The guest's uptime when its boot record was written, or null. */
    guestBoot: number | null;
  };
  /** The console log, relative to the folder. */
  consoleLog: string;
}

/** What assembleLab needs. */
export interface LabAssembly {
  /** The results folder. */
  out: string;
  /** The booted image. */
  image: KernelImage;
  /** The guest's parsed output. */
  guest: GuestOutput & { boot: GuestBoot };
  /** How qemu ran. */
  result: GuestResult;
  /** Run settings. */
  cfg: CalibrationConfig;
  /** Lab settings. */
  lab: LabConfig;
  /** The static probes. */
  probes: StaticProbes;
  /** Filesystems the guest mounted, in disk order. */
  filesystems: string[];
  /** What was not measured. */
  notMeasured: NotMeasured[];
  /** Timings so far. */
  timings: LabInfo["timings"];
  /** ISO time the run started. */
  startedAt: string;
  /** The guest's console log (raw/console.log), read for why a probe ended early; default "". */
  console?: string;
}

/** The guest as an Environment (what readEnvironment gives on the host). */
export function guestEnvironment(boot: GuestBoot, image: KernelImage): Environment {
  const hz = configHz(image.config);
  return {
    platform: "linux",
    kernelRelease: boot.release,
    kernelVersion: boot.version,
    machine: boot.machine,
    root: true,
    kpageflags: boot.kpageflags,
    pagemap: true,
    ioUringDisabled: boot.ioUringDisabled,
    hz: { value: hz, source: hz === null ? null : `config-${image.release} beside the image` },
    thp: boot.thp || null,
    cpus: boot.cpus,
  };
}

function guestFs(fs: string, i: number, options: string | undefined): FilesystemInfo {
  const magic = { ext4: "0xef53", xfs: "0x58465342", btrfs: "0x9123683e" }[fs] ?? "?";
  return {
    type: fs,
    magic,
    mountPoint: `/mnt/${fs}`,
    source: `/dev/vd${String.fromCharCode(97 + i)}`,
    options: options ?? null,
  };
}

/** A step's probe text if it ran to exit 0, else null (and why in `missing`: an OOM kill the console log shows, else the exit and first message). */
function okText(g: GuestOutput, id: string, missing: NotMeasured[], log = ""): string | null {
  const s = sectionOf(g, id);
  if (!s) return null;
  if (s.rc === 0) return s.text;
  missing.push({
    what: id,
    why:
      oomWhy(log, startPid(s.text)) ??
      `probe exited ${s.rc ?? "before its end"}: ${s.stderr[0] ?? s.text.split("\n").find((l) => l.includes('"error"')) ?? "no message"}`,
  });
  return null;
}

/** Why step `id` measured nothing: its note (okText's), else that it did not run. */
const whyMissing = (notes: NotMeasured[], id: string) =>
  notes.find((n) => n.what === id)?.why ?? "the probe did not run";

const tag =
  (fs: string | null) =>
  (r: ComparisonRow): ComparisonRow =>
    fs === null ? r : { ...r, fs, quantity: `${fs}: ${r.quantity}` };

/** Every filesystem's clean-delay/longterm sides and rows, the detector on the first. */
function perFilesystem(a: LabAssembly, env: Environment, E: number, W: number, notes: NotMeasured[]) {
  const rows: ComparisonRow[] = [];
  const filesystems: LabInfo["filesystems"] = {};
  let first: Pick<Calibration, "raw" | "kernel" | "model"> | null = null;
  let hz: { hz: number; source: string } | null = null;
  a.filesystems.forEach((fs, i) => {
    const cdText = okText(a.guest, `clean-delay:${fs}`, notes, a.console);
    const ltText = okText(a.guest, `longterm:${fs}`, notes, a.console);
    const dText = i === 0 ? okText(a.guest, "detector", notes, a.console) : null;
    const raw: Calibration["raw"] = {
      cleanDelay: cdText ? parseCleanDelay(cdText) : null,
      detector: dText ? parseDetector(dText) : null,
      longterm: ltText ? parseLongterm(ltText) : null,
    };
    const kernel: Calibration["kernel"] = {
      cleanDelay: raw.cleanDelay ? cleanDelayKernel(raw.cleanDelay, E, W) : null,
      detector: raw.detector ? detectorKernel(raw.detector) : null,
      longterm: raw.longterm ? longtermKernel(raw.longterm) : null,
    };
    hz ??= chooseHz(env.hz.value, kernel.cleanDelay?.period.period ?? null, W);
    const x = finishInput(a, env, guestFs(fs, i, a.guest.mounted.find((m) => m.fs === fs)?.options), raw, E, W);
    const side = modelSide(x, kernel, hz.hz);
    rows.push(...side.rows.map((r) => tag(r.part === "detector" ? null : fs)(r)));
    filesystems[fs] = { raw, kernel, model: side.model };
    if (i === 0) first = { raw, kernel, model: side.model };
  });
  return { rows, filesystems, first, hz: hz ?? chooseHz(env.hz.value, null, W) };
}

function finishInput(
  a: LabAssembly,
  env: Environment,
  fs: FilesystemInfo,
  raw: Calibration["raw"],
  E: number,
  W: number,
): FinishInput {
  const sys = { "vm.dirty_expire_centisecs": E * 100, "vm.dirty_writeback_centisecs": W * 100 };
  return {
    opts: { out: a.out },
    env,
    fs,
    cfg: a.cfg,
    probes: { sourceHash: a.probes.sourceHash, sourceFiles: a.probes.sourceFiles, compiler: a.probes.compiler },
    raw,
    sysStart: sys,
    sysEnd: sys,
    changed: [],
    E,
    W,
    startedAt: a.startedAt,
  };
}

/** The reclaim rows of every filesystem (both pressures). */
function reclaimRows(a: LabAssembly, notes: NotMeasured[]): { rows: ComparisonRow[]; reclaim: LabInfo["reclaim"] } {
  const rows: ComparisonRow[] = [];
  const reclaim: LabInfo["reclaim"] = {};
  if (!a.cfg.parts.includes("reclaim-writes")) return { rows, reclaim };
  const preset = presetFor(a.guest.boot.release)?.id ?? null;
  for (const fs of a.filesystems) {
    const one = (mode: "memcg" | "kswapd") => {
      const t = okText(a.guest, `reclaim-${mode}:${fs}`, notes, a.console);
      return t ? reclaimKernel(parseReclaim(t)) : null;
    };
    const memcg = one("memcg");
    const kswapd = one("kswapd");
    reclaim[fs] = { memcg, kswapd };
    rows.push(reclaimRow(fs, "memcg", memcg, preset, whyMissing(notes, `reclaim-memcg:${fs}`)));
    rows.push(reclaimRow(fs, "kswapd", kswapd, preset, whyMissing(notes, `reclaim-kswapd:${fs}`)));
  }
  return { rows, reclaim };
}

/** The guard's and the race's rows of every filesystem (probes 3 and 4). */
function pinnedRows(
  a: LabAssembly,
  notes: NotMeasured[],
  hz: number,
): { rows: ComparisonRow[]; pinned: LabInfo["pinned"] } {
  const rows: ComparisonRow[] = [];
  const pinned: LabInfo["pinned"] = {};
  const preset = presetFor(a.guest.boot.release)?.id ?? null;
  for (const fs of a.filesystems) {
    const one = <T>(part: "reclaim-guard" | "race", parse: (t: string) => T): [T | null, string] => {
      const absent = a.notMeasured.find((n) => n.what === part);
      if (absent) return [null, absent.why];
      const t = okText(a.guest, `${part}:${fs}`, notes, a.console);
      return t ? [parse(t), ""] : [null, whyMissing(notes, `${part}:${fs}`)];
    };
    const guard = a.cfg.parts.includes("reclaim-guard") ? one("reclaim-guard", parseGuard) : null;
    const race = a.cfg.parts.includes("race") ? one("race", parseRace) : null;
    if (guard) rows.push(...guardRows(fs, guard[0], preset, guard[1]));
    if (race) rows.push(...raceRows(fs, race[0], preset, { hz, lab: a.lab, seed: a.cfg.seed }, race[1]));
    pinned[fs] = { guard: guard?.[0] ?? null, race: race?.[0] ?? null };
  }
  return { rows, pinned };
}

/** A row for something the image could not run at all (a filesystem whose module it lacks). */
function notMeasuredRow(n: NotMeasured): ComparisonRow {
  return {
    part: "longterm",
    fs: n.what,
    quantity: `${n.what}: every part`,
    kernel: `not measured here: ${n.why}`,
    kernelInterval: null,
    model: "-",
    modelInterval: null,
    agree: null,
    rule: "the image could not run this part",
  };
}

/** The `lab` record of calibration.json. */
function labInfo(
  a: LabAssembly,
  notes: NotMeasured[],
  per: { filesystems: LabInfo["filesystems"] },
  reclaim: LabInfo["reclaim"],
  pinned: LabInfo["pinned"],
): LabInfo {
  const p = presetFor(a.guest.boot.release);
  return {
    spec: a.image.spec,
    source: a.image.source,
    release: a.guest.boot.release,
    accel: a.result.accel,
    accelNote: a.result.accelNote,
    preset: p ? { id: p.id, exact: p.exact } : null,
    config: a.lab,
    mounted: a.guest.mounted,
    notMeasured: notes,
    filesystems: per.filesystems,
    reclaim,
    pinned,
    timings: a.timings,
    consoleLog: "raw/console.log",
  };
}

/** The calibration (and its manifest) of one lab run. Pure; the caller writes it. */
export function assembleLab(a: LabAssembly): { calibration: Calibration; manifest: CalibrationManifest } {
  const boot = a.guest.boot;
  const env = guestEnvironment(boot, a.image);
  const E = (boot.expire ?? 3000) / 100;
  const W = (boot.writeback ?? 500) / 100;
  const notes = [...a.notMeasured];
  const per = perFilesystem(a, env, E, W, notes);
  const rec = reclaimRows(a, notes);
  const pin = pinnedRows(a, notes, per.hz.hz);
  // The parts without dm-delay have their own rows (not measured here, per filesystem).
  const missingRows = a.notMeasured.filter((n) => n.what !== "reclaim-guard" && n.what !== "race").map(notMeasuredRow);
  const rows = [...per.rows, ...rec.rows, ...pin.rows, ...missingRows];
  const first = per.first ?? {
    raw: { cleanDelay: null, detector: null, longterm: null },
    kernel: { cleanDelay: null, detector: null, longterm: null },
    model: { cleanDelay: null, detector: null, longterm: null },
  };
  const fs0 = guestFs(a.filesystems[0] ?? "none", 0, a.guest.mounted[0]?.options);
  const calibration: Calibration = {
    format: CALIBRATION_FORMAT,
    pinsim: `pinsim ${PACKAGE_VERSION}`,
    config: a.cfg,
    startedAt: a.startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      ...env,
      filesystem: fs0,
      hzUsed: per.hz.hz,
      hzSource: env.hz.value !== null ? `CONFIG_HZ from ${env.hz.source}` : per.hz.source,
    },
    sysctls: {
      start: { "vm.dirty_expire_centisecs": E * 100, "vm.dirty_writeback_centisecs": W * 100 },
      end: { "vm.dirty_expire_centisecs": E * 100, "vm.dirty_writeback_centisecs": W * 100 },
      changed: [],
    },
    expire: E,
    writebackInterval: W,
    probes: { sourceHash: a.probes.sourceHash, files: a.probes.sourceFiles, compiler: a.probes.compiler },
    ...first,
    comparison: rows,
    lab: labInfo(a, notes, per, rec.reclaim, pin.pinned),
  };
  const x = finishInput(a, env, fs0, first.raw, E, W);
  return { calibration, manifest: { ...calibrationManifest(x, rows), name: `calibrate-${boot.release}` } };
}
