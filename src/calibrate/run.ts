/**
 * The driver of `pinsim calibrate`: checks what this machine allows, builds the probes,
 * runs them one part at a time with a scratch folder under the results folder (removed at
 * the end, on error and on SIGINT/SIGTERM), derives the statistics, runs the model on the
 * same parameters and writes the results folder.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kupdatePeriod } from "../engine/flusher.js";
import { ensureOutputDir } from "../out-dir.js";
import { buildProbes, type BuiltProbes } from "./build.js";
import {
  missingRequirements,
  PARTS,
  readEnvironment,
  readFilesystem,
  readLoadAverage,
  readSysctls,
  type Environment,
  type Part,
} from "./environment.js";
import { CalibrateInputError, CalibrateUnavailableError } from "./errors.js";
import { finish } from "./finish.js";
import { missingLevels, refuseOtherKernel, removeCreated, removeStale } from "./held.js";
import { progressOf, runParts } from "./probe-run.js";
import { resultsKind, type Calibration, type CalibrationConfig } from "./store.js";

export { chooseHz, finish } from "./finish.js";
export { CalibrateInterrupted } from "./probe-run.js";

/** What `onProgress` receives, about twice a second and once per probe record. */
export interface CalibrateProgress {
  /** The part running now ("guest" while a lab guest runs its steps). */
  part: Part | "guest";
  /** Overall progress in [0, 1], weighted by each part's expected duration. */
  fraction: number;
  /** Expected total seconds of the whole run (for an ETA). */
  expectedSeconds: number;
  /** The part's own count, e.g. "12/160 pages clean", "40/80 forks", "done". */
  detail: string;
}

/** The one options object of calibrate(). */
export interface CalibrateOptions {
  /** Results folder (created; scratch files go in a hidden folder inside it). */
  out: string;
  /** A few trials per question (<= 3 minutes at E = 30 s). Default false. */
  quick?: boolean;
  /** Parts to run. Default all. */
  only?: Part[] | null;
  /** Seed of the model runs. Default 1. */
  seed?: number;
  /** Where the probes are compiled and cached. Default cacheRoot(): $PINSIM_CACHE_DIR, else $XDG_CACHE_HOME/pinsim, else ~/.cache/pinsim. */
  cacheDir?: string;
  /** Called with the progress of the run (see CalibrateProgress). Default none. */
  onProgress?: (p: CalibrateProgress) => void;
  /** For tests: the machine as seen (default readEnvironment()). */
  environment?: Environment;
}

/** Probe settings of --quick and of the full run, given E (s). */
export function calibrationConfig(quick: boolean, parts: Part[], seed: number, expire: number): CalibrationConfig {
  const second = Math.min(quick ? 10 : 20, expire / 2);
  return {
    mode: quick ? "quick" : "full",
    parts,
    seed,
    cleanDelay: quick
      ? { trials: 6, stagger: 2.6, second, pollMs: 20 }
      : { trials: 80, stagger: 0.8, second, pollMs: 20 },
    detector: quick
      ? { klo: 1019, khi: 1024, reps: 1, nopinK: 1100, thpK: 8192 }
      : { klo: 1016, khi: 1028, reps: 3, nopinK: 1100, thpK: 8192 },
    longterm: { settle: quick ? 2.5 : 3 },
  };
}

/** Parse `--only a,b`; throws CalibrateInputError naming the bad value. */
export function parseParts(text: string): Part[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (bad.length || names.length === 0)
    throw new CalibrateInputError(`invalid --only: ${text} (allowed: ${PARTS.join(", ")}, comma-separated)`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new CalibrateInputError(
      `invalid --only: ${text} names ${twice} twice (allowed: each part once, comma-separated)`,
    );
  return PARTS.filter((p) => names.includes(p));
}

/** The one line for a machine that cannot run the asked parts, or null. */
export function unavailableMessage(env: Environment, parts: Part[]): string | null {
  const miss = missingRequirements(env);
  const blocked = parts.filter((p) => miss[p].length > 0);
  if (blocked.length === 0) return null;
  const what = [...new Set(blocked.flatMap((p) => miss[p]))].join("; ");
  const can = PARTS.filter((p) => miss[p].length === 0);
  return (
    `cannot calibrate ${blocked.join(", ")}: missing ${what}; ` +
    (can.length ? `these parts can still run: --only ${can.join(",")}` : "no part can run on this machine")
  );
}

/**
 * Measure the running kernel and compare it with the model. Resolves with the calibration
 * written to `out`. Throws CalibrateInputError (bad folder), CalibrateUnavailableError (the
 * machine lacks something), ProbeError (a probe failed), CalibrateInterrupted (a signal).
 */
export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const env = opts.environment ?? readEnvironment();
  const parts = opts.only?.length ? [...opts.only] : [...PARTS];
  const quick = opts.quick ?? false;
  const seed = opts.seed ?? 1;
  const why = unavailableMessage(env, parts);
  if (why) throw new CalibrateUnavailableError(why);

  // Sysctls are read, never written.
  const sysStart = readSysctls();
  const E = (sysStart["vm.dirty_expire_centisecs"] ?? 3000) / 100;
  const W = (sysStart["vm.dirty_writeback_centisecs"] ?? 500) / 100;
  if (parts.includes("clean-delay")) checkCleanDelayCanRun(E, W, quick);
  // The probes (and the cache folder) first: a bad cache folder refuses before --out is made.
  const probes: BuiltProbes = buildProbes({ cacheDir: opts.cacheDir });
  refuseOtherKernel(opts.out, { release: env.kernelRelease, source: "host" });
  const created = missingLevels(opts.out);
  prepareOut(opts.out);
  const fs = readFilesystem(opts.out);
  const cfg = calibrationConfig(quick, parts, seed, E);
  const progress = progressOf(cfg, parts, E, kupdatePeriod(W, env.hz.value ?? 250), opts.onProgress);
  const startedAt = new Date().toISOString();
  let ran: Awaited<ReturnType<typeof runParts>>;
  try {
    ran = await runParts(opts.out, parts, cfg, probes, E, W, progress);
  } catch (e) {
    removeCreated(created); // a folder this run made and wrote nothing to (interrupted, a probe failed) goes
    throw e;
  }
  const { raw, texts } = ran;
  // The probes' output as printed, beside calibration.json (what the unit tests' fixtures are).
  // A rerun into the same folder: an earlier run's raw files of parts not run now, and the
  // figures drawn from the calibration replaced, go.
  const names = Object.keys(texts).map((n) => `${n}.jsonl`);
  removeStale(opts.out, names);
  mkdirSync(join(opts.out, "raw"), { recursive: true });
  for (const [name, text] of Object.entries(texts)) writeFileSync(join(opts.out, "raw", `${name}.jsonl`), text);
  const sysEnd = readSysctls();
  const changed = Object.keys(sysStart).filter((k) => sysStart[k] !== sysEnd[k]);
  const loadAverageEnd = readLoadAverage();
  return finish({ opts, env, fs, cfg, probes, raw, sysStart, sysEnd, changed, E, W, startedAt, loadAverageEnd });
}

/** The clean-delay part needs periodic writeback, and under --quick a trial short enough. */
function checkCleanDelayCanRun(E: number, W: number, quick: boolean): void {
  if (W === 0)
    throw new CalibrateUnavailableError(
      "cannot calibrate clean-delay: vm.dirty_writeback_centisecs = 0 disables periodic writeback; these parts can still run: --only detector,longterm",
    );
  if (quick && E + W > 150)
    throw new CalibrateUnavailableError(
      `cannot calibrate clean-delay with --quick: vm.dirty_expire_centisecs = ${E * 100} makes one trial last E + P > ${E} s, over --quick's 3 minutes; run without --quick, or --only detector,longterm`,
    );
}

/** The results folder: ours or new, never a sweep's; created. */
function prepareOut(out: string): void {
  const kind = resultsKind(out);
  if (kind === "sweep")
    throw new CalibrateInputError(`output directory ${out} holds a sweep's results: use another --out`);
  // As a sweep would: a folder of other files (notes, a checkout) is refused, changing nothing.
  if (kind === null) refuseForeignFolder(out);
  ensureOutputDir(out); // no recursive mkdir: it loops forever on /proc in Node 20
  removeDeadScratch(out);
}

/**
 * Remove the scratch folders (`.calibrate-scratch-PID`, `.lab-scratch-PID`) in `out` whose
 * process no longer exists: what a `kill -9` of an earlier run left. A live PID's folder
 * stays (another run, or a reused PID: then it goes on a later run).
 */
export function removeDeadScratch(out: string): void {
  for (const n of readdirSync(out)) {
    const m = /^\.(?:calibrate|lab)-scratch-(\d+)$/.exec(n);
    if (m && !processExists(Number(m[1]))) rmSync(join(out, n), { recursive: true, force: true });
  }
}

/** Whether a process `pid` exists: kill(pid, 0) succeeds, or fails with EPERM (another user's). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What a calibration folder holds besides its manifest: calibration.json, raw/, figures/, a scratch folder. */
const OWN_NAMES = /^(?:manifest\.json|calibration\.json|raw|figures|\.(?:calibrate|lab)-scratch-\d+)$/;

/** A folder without a calibration's manifest must be new, empty, or hold only a calibration's own names. */
function refuseForeignFolder(out: string): void {
  let names: string[];
  try {
    names = readdirSync(out);
  } catch {
    return; // absent (created next) or not a folder (ensureOutputDir says so)
  }
  const foreign = names.filter((n) => !OWN_NAMES.test(n)).sort();
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, … (${foreign.length} entries)` : "");
    throw new CalibrateInputError(
      `output directory ${out} holds no calibration but other files (${shown}): give --out an empty or new directory`,
    );
  }
}
