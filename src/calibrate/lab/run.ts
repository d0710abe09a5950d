/**
 * The lab's driver: `pinsim calibrate --kernel SPEC` for SPEC other than host. Fetches or
 * reads the image, builds the static probes, the initramfs and one disk per filesystem in
 * a scratch folder under the results folder (removed at the end, on error and on a signal),
 * boots the guest, parses what it reported and writes a calibration folder.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { ensureOutputDir } from "../../out-dir.js";
import { cacheRoot } from "../build.js";
import { LAB_PARTS, PARTS, type LabPart, type Part } from "../environment.js";
import { CalibrateInputError, CalibrateUnavailableError } from "../errors.js";
import { CalibrateInterrupted } from "../probe-run.js";
import { calibrationConfig, removeDeadScratch, type CalibrateProgress } from "../run.js";
import { resultsKind, writeCalibration, type Calibration } from "../store.js";
import { missingLevels, refuseOtherKernel, removeCreated, removeStale } from "../held.js";
import { assembleLab, type NotMeasured } from "./assemble.js";
import { cpioNewc } from "./cpio.js";
import { initramfsEntries, initScript } from "./guest.js";
import { buildStaticProbes, findBusybox, LAB_PROBES, makeDisk } from "./host.js";
import { indexModules, planModules, readModule } from "./modules.js";
import { parseGuestOutput } from "./output.js";
import {
  DM_PARTS,
  expectedGuestSeconds,
  GUEST_WRITEBACK,
  LAB_FILESYSTEMS,
  LAB_MODULES,
  labConfig,
  labPlan,
} from "./plan.js";
import { findQemu, runGuest } from "./qemu.js";
import { fetchDebianKernel, pathKernel, type KernelImage, type KernelSpec } from "./spec.js";

/** A guest that panicked, timed out or stopped before its probes finished: one line, exit 2. */
export class LabBootError extends CalibrateInputError {
  constructor(message: string) {
    super(message);
    this.name = "LabBootError";
  }
}

/** The options of calibrateLab. */
export interface LabOptions {
  /** The kernel to boot (not host). */
  spec: Exclude<KernelSpec, { kind: "host" }>;
  /** Results folder. */
  out: string;
  /** A few trials per question. Default false. */
  quick?: boolean;
  /** Parts to run (PARTS and LAB_PARTS). Default all that the lab has probes for. */
  only?: (Part | LabPart)[] | null;
  /** Seed of the model runs. Default 1. */
  seed?: number;
  /** Cache folder (images, static probes). Default cacheRoot(). */
  cacheDir?: string;
  /** Progress callback, about once a second. */
  onProgress?: (p: CalibrateProgress) => void;
  /** Seconds before the guest is killed. Default 330 with --quick, else 1800. */
  timeout?: number;
}

/** Parts the lab runs by default (the ones with a probe). */
export const LAB_DEFAULT_PARTS: (Part | LabPart)[] = [...PARTS, ...LAB_PARTS];

/** Parse `--only` for the lab: PARTS and the lab's parts with a probe. */
export function parseLabParts(text: string): (Part | LabPart)[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const allowed = LAB_DEFAULT_PARTS;
  const bad = names.filter((n) => !(allowed as string[]).includes(n));
  if (bad.length || names.length === 0)
    throw new CalibrateInputError(
      `invalid --only: ${text} (allowed with --kernel: ${allowed.join(", ")}, comma-separated)`,
    );
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new CalibrateInputError(
      `invalid --only: ${text} names ${twice} twice (allowed: each part once, comma-separated)`,
    );
  return [...PARTS, ...LAB_PARTS].filter((p) => names.includes(p));
}

function image(spec: LabOptions["spec"], cacheDir: string): KernelImage {
  return spec.kind === "debian" ? fetchDebianKernel(spec.series, cacheDir) : pathKernel(spec);
}

/** Modules to load and filesystems the image can mount; what it cannot goes to `notes`. */
function moduleSet(
  img: KernelImage,
  notes: NotMeasured[],
): { files: Record<string, Buffer>; order: string[]; fss: string[]; dm: boolean } {
  if (!img.modulesDir) return { files: {}, order: [], fss: [...LAB_FILESYSTEMS], dm: true }; // everything built in, or the probe says not
  const index = indexModules(img.modulesDir);
  const base = planModules([...LAB_MODULES.base], index);
  if (base.missing.length)
    throw new CalibrateUnavailableError(
      `cannot run ${img.spec}: its modules lack ${base.missing.join(", ")} (the guest's disks and results port need them; --modules names a lib/modules/RELEASE tree)`,
    );
  const load = [...base.load];
  const fss: string[] = [];
  for (const fs of LAB_FILESYSTEMS) {
    const p = planModules(
      [...LAB_MODULES[fs]].filter((m) => m !== "crc32c_generic" || index.modules.has(m)),
      index,
    );
    if (p.missing.length) notes.push({ what: fs, why: `module ${p.missing.join(", ")} not in the image` });
    else {
      fss.push(fs);
      for (const e of p.load) if (!load.some((l) => l.name === e.name)) load.push(e);
    }
  }
  const dmPlan = planModules([...LAB_MODULES.dm], index);
  const dm = dmPlan.missing.length === 0;
  if (!dm)
    for (const what of DM_PARTS) notes.push({ what, why: `module ${dmPlan.missing.join(", ")} not in the image` });
  else for (const e of dmPlan.load) if (!load.some((l) => l.name === e.name)) load.push(e);
  const files: Record<string, Buffer> = {};
  const order = load.map((e) => {
    const name = `${e.name}.ko`;
    files[name] = readModule(join(index.dir, e.path));
    return name;
  });
  return { files, order, fss, dm };
}

/**
 * Scratch folder removal on exit and signals; returns the cleanup. A signal ends the
 * process as host mode does: the scratch folder removed, CalibrateInterrupted's one line,
 * exit 130 or 143 (QEMU is killed by its own `exit` handler, qemu.ts).
 */
function scratchGuard(dir: string, created: string[]): () => void {
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const onSig = (sig: NodeJS.Signals) => {
    remove();
    removeCreated(created); // a results folder this run made, still empty
    process.stderr.write(`pinsim: ${new CalibrateInterrupted(sig).message}\n`);
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.on("exit", remove);
  process.once("SIGINT", onSig);
  process.once("SIGTERM", onSig);
  return () => {
    remove();
    process.off("exit", remove);
    process.off("SIGINT", onSig);
    process.off("SIGTERM", onSig);
  };
}

/** The last step the guest began, for progress. */
function currentStep(resultsPath: string): string {
  try {
    const t = readFileSync(resultsPath, "utf8");
    const m = [...t.matchAll(/\{"lab":"(begin|group)","(?:id|group)":"([^"]+)"/g)].pop();
    return m ? m[2] : "booting";
  } catch {
    return "booting";
  }
}

/** The results folder: ours or new, never a sweep's (created later, by ensureOutputDir). */
function refuseSweep(out: string): void {
  if (resultsKind(out) === "sweep")
    throw new CalibrateInputError(`output directory ${out} holds a sweep's results: use another --out`);
}

/** What is checked before anything is created: the image's modules and the static probes. */
interface Prepared {
  mods: ReturnType<typeof moduleSet>;
  probes: ReturnType<typeof buildStaticProbes>;
}

/** Everything the guest needs, written under `scratch`: disks (one per filesystem it can mount) and the initramfs. */
function buildGuest(img: KernelImage, o: LabOptions, scratch: string, notes: NotMeasured[], pre: Prepared) {
  const quick = o.quick ?? false;
  const parts = o.only?.length ? o.only : LAB_DEFAULT_PARTS;
  const { mods, probes } = pre;
  const fss = mods.fss.filter((fs) => {
    const why = makeDisk(join(scratch, `${fs}.img`), fs, 512);
    if (why) notes.push({ what: fs, why });
    return why === null;
  });
  if (fss.length === 0)
    throw new CalibrateUnavailableError(
      `cannot run ${img.spec}: no filesystem disk could be made (${notes.map((n) => n.why).join("; ")})`,
    );
  const cfg = calibrationConfig(
    quick,
    parts.filter((p): p is Part => (PARTS as readonly string[]).includes(p)),
    o.seed ?? 1,
    30,
  );
  cfg.parts = parts;
  const lab = labConfig(quick);
  const plan = {
    ...labPlan({ parts, filesystems: fss, modules: mods.order, cfg, lab, dm: mods.dm }),
    sysctls: GUEST_WRITEBACK,
  };
  // The disk under dm-delay: RAW_DISK_BYTE throughout, what the delayed O_DIRECT read brings.
  const disks = plan.disks.map((d) => join(scratch, d.fs === "raw" ? "raw.img" : `${d.fs}.img`));
  if (plan.disks.some((d) => d.fs === "raw")) makeDisk(join(scratch, "raw.img"), "raw", 4);
  const probeFiles = Object.fromEntries(LAB_PROBES.map((p) => [p, readFileSync(join(probes.binDir, p))]));
  const cpio = cpioNewc(
    initramfsEntries({ busybox: findBusybox(), probes: probeFiles, modules: mods.files, init: initScript(plan) }),
  );
  writeFileSync(join(scratch, "initrd.gz"), gzipSync(cpio, { level: 1 }));
  return { cfg, lab, plan, probes, fss, disks };
}

/** The one line for a guest that did not finish: how it ended, the last console line, the log. */
function bootFailure(
  img: KernelImage,
  end: string,
  seconds: number,
  last: string,
  log: string,
  reached: boolean,
): string {
  const how =
    end === "panic" ? "panicked" : end === "timeout" ? `was killed after ${Math.round(seconds)} s` : "stopped";
  const where = reached ? "before its probes finished" : "before reaching the probes";
  return `guest ${img.spec} (${img.release}) ${how} ${where}: last console line: ${JSON.stringify(last.slice(0, 160))}; full log: ${log}`;
}

/**
 * Everything that can refuse, before anything is created (README: "exits 2, before
 * creating anything"): qemu, busybox, a sweep folder, the image, its modules, the static
 * probes; then the results folder, cleared of dead runs' scratch folders.
 */
function validateThenCreate(
  o: LabOptions,
  cacheDir: string,
): { img: KernelImage; notes: NotMeasured[]; pre: Prepared; fetched: number; created: string[] } {
  findQemu();
  findBusybox();
  refuseSweep(o.out);
  const img = image(o.spec, cacheDir);
  refuseOtherKernel(o.out, { release: img.release, source: img.spec });
  const fetched = performance.now();
  const notes: NotMeasured[] = [];
  const pre: Prepared = { mods: moduleSet(img, notes), probes: buildStaticProbes(cacheDir) };
  const created = missingLevels(o.out);
  ensureOutputDir(o.out);
  removeDeadScratch(o.out);
  return { img, notes, pre, fetched, created };
}

/**
 * Boot `o.spec` under QEMU, run the probes in it and write the calibration folder to
 * `o.out`. Throws CalibrateInputError (bad SPEC, not a kernel image, a sweep folder),
 * CalibrateUnavailableError (no qemu, busybox, compiler, apt; an image without virtio),
 * LabBootError (panic, timeout, no probe output), ProbeError (a record that does not parse).
 */
export async function calibrateLab(o: LabOptions): Promise<Calibration> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const cacheDir = o.cacheDir ?? cacheRoot();
  const { img, notes, pre, fetched, created } = validateThenCreate(o, cacheDir);
  const tFetch = (fetched - t0) / 1000;
  const scratch = join(o.out, `.lab-scratch-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const cleanup = scratchGuard(scratch, created);
  try {
    const g = buildGuest(img, o, scratch, notes, pre);
    const tBuild = (performance.now() - t0) / 1000 - tFetch;
    const rawDir = join(o.out, "raw");
    // The console log goes to raw/ once the guest has ended: an interrupted run leaves no raw/.
    const scratchLog = join(scratch, "console.log");
    const log = join(rawDir, "console.log");
    const results = join(scratch, "results.jsonl");
    const result = await bootGuest(img, o, g, scratchLog, results);
    mkdirSync(rawDir, { recursive: true });
    copyFileSync(scratchLog, log);
    const text = readFileSync(results, "utf8");
    writeFileSync(join(rawDir, "guest.jsonl"), text);
    const guest = parseGuestOutput(text);
    if (result.end !== "exited" || !guest.done || !guest.boot)
      throw new LabBootError(bootFailure(img, result.end, result.seconds, result.lastLine, log, guest.boot !== null));
    for (const m of guest.mountFailed) notes.push({ what: m.fs, why: `mount failed: ${m.message}` });
    const mounted = g.fss.filter((fs) => guest.mounted.some((m) => m.fs === fs));
    const { calibration, manifest } = assembleLab({
      out: o.out,
      image: img,
      guest: { ...guest, boot: guest.boot },
      result,
      cfg: g.cfg,
      lab: g.lab,
      probes: g.probes,
      filesystems: mounted,
      notMeasured: notes,
      timings: { fetch: tFetch, build: tBuild, guest: result.seconds, guestBoot: guest.boot.uptime },
      startedAt,
      console: readFileSync(scratchLog, "utf8"),
    });
    writeSections(o.out, guest);
    writeCalibration(o.out, calibration, manifest);
    return calibration;
  } catch (e) {
    cleanup(); // the scratch folder first: then a folder this run made and wrote nothing to is empty
    removeCreated(created);
    throw e;
  } finally {
    cleanup();
  }
}

/** Boot the guest of `g` and wait for it; progress by the expected seconds of the steps planned (expectedGuestSeconds). */
function bootGuest(
  img: KernelImage,
  o: LabOptions,
  g: ReturnType<typeof buildGuest>,
  consoleLog: string,
  results: string,
): ReturnType<typeof runGuest> {
  const expected = expectedGuestSeconds(g.plan, g.cfg, g.lab);
  return runGuest({
    kernel: img.vmlinuz,
    initrd: join(dirname(results), "initrd.gz"),
    disks: g.disks,
    consoleLog,
    results,
    memory: g.lab.guest.memory,
    cpus: g.lab.guest.cpus,
    timeout: o.timeout ?? (o.quick ? 330 : 1800),
    onTick: (_b, s) =>
      o.onProgress?.({
        part: "guest",
        fraction: Math.min(0.99, s / expected),
        expectedSeconds: expected,
        detail: `${currentStep(results)} (${result0(s)})`,
      }),
  });
}

/** Each step's probe output as raw/STEP.jsonl; a rerun's raw files of parts or filesystems not measured now, and the old figures, go. */
function writeSections(out: string, guest: ReturnType<typeof parseGuestOutput>): void {
  const names = guest.sections.map((s) => `${s.id.replace(/:/g, "-")}.jsonl`);
  removeStale(out, [...names, "guest.jsonl", "console.log"]);
  guest.sections.forEach((s, i) => writeFileSync(join(out, "raw", names[i]), s.text));
}

const result0 = (s: number) => `${Math.round(s)} s in the guest`;
