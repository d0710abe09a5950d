/**
 * The driver of `pinsim calibrate`: checks what this machine allows, builds the probes,
 * runs them one part at a time with a scratch folder under the results folder (removed at
 * the end, on error and on SIGINT/SIGTERM), derives the statistics, runs the model on the
 * same parameters and writes the results folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kupdatePeriod } from "../engine/flusher.js";
import { packageGitCommit } from "../sweep/plan.js";
import { PACKAGE_VERSION } from "../version.js";
import { ensureOutputDir } from "../out-dir.js";
import { buildProbes, type BuiltProbes, type ProbeName } from "./build.js";
import { cleanDelayRows, detectorRows, longtermRows, type ComparisonRow } from "./compare.js";
import {
  missingRequirements,
  PARTS,
  readEnvironment,
  readFilesystem,
  readSysctls,
  type Environment,
  type Part,
} from "./environment.js";
import { CalibrateInputError, CalibrateUnavailableError, ProbeError } from "./errors.js";
import {
  modelCleanDelays,
  modelForkCopies,
  modelOdirect,
  modelRegistrations,
  modelThreshold,
  presetFor,
} from "./model.js";
import { parseCleanDelay, parseDetector, parseLongterm } from "./parse.js";
import { presetOf } from "./refusal.js";
import { cleanDelayKernel, detectorKernel, longtermKernel } from "./stats.js";
import {
  CALIBRATION_FORMAT,
  resultsKind,
  writeCalibration,
  type Calibration,
  type CalibrationConfig,
  type CalibrationManifest,
} from "./store.js";

/** Raised when SIGINT or SIGTERM stopped the run (scratch files already removed). */
export class CalibrateInterrupted extends Error {
  constructor(
    /** The signal that stopped the run, SIGINT or SIGTERM. */
    readonly signal: NodeJS.Signals,
  ) {
    super(`interrupted by ${signal}; scratch files removed, no results written`);
    this.name = "CalibrateInterrupted";
  }
}

/** What `onProgress` receives, about twice a second and once per probe record. */
export interface CalibrateProgress {
  /** The part running now. */
  part: Part;
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

function expectedSeconds(cfg: CalibrationConfig, part: Part, expire: number, period: number): number {
  if (part === "clean-delay") return 0.5 + (cfg.cleanDelay.trials - 1) * cfg.cleanDelay.stagger + expire + period + 0.5;
  if (part === "detector") return 1 + 0.01 * (cfg.detector.khi - cfg.detector.klo + 1) * cfg.detector.reps * 2;
  return 2 * cfg.longterm.settle + 1;
}

interface Running {
  child: ChildProcess | null;
  signal: NodeJS.Signals | null;
}

/** Run one probe; resolve with its stdout. Exit 130 after a signal; any other failure is a ProbeError. */
function runProbe(
  name: ProbeName,
  path: string,
  args: string[],
  running: Running,
  onLine: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.child = child;
    let out = "";
    let err = "";
    let partial = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      partial += d;
      let i: number;
      while ((i = partial.indexOf("\n")) >= 0) {
        onLine(partial.slice(0, i));
        partial = partial.slice(i + 1);
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    child.on("error", (e) => {
      running.child = null;
      reject(new ProbeError(`probe ${name} did not start: ${e.message}`));
    });
    child.on("close", (code, sig) => {
      running.child = null;
      if (running.signal) return reject(new CalibrateInterrupted(running.signal));
      if (code === 0) return resolve(out);
      // The probe's own error record names the step; parse it for the message.
      const errLine = out.split("\n").find((l) => l.includes('"type":"error"'));
      if (errLine) {
        try {
          const e = JSON.parse(errLine) as { step: string; message: string; errno: number };
          return reject(new ProbeError(`probe ${name} failed at ${e.step}: ${e.message} (errno ${e.errno})`));
        } catch {
          /* fall through */
        }
      }
      reject(
        new ProbeError(
          `probe ${name} exited with ${sig ?? `code ${code}`}: ${err.trim().split("\n")[0] || "no message"}`,
        ),
      );
    });
  });
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
  prepareOut(opts.out);
  const fs = readFilesystem(opts.out);
  const probes: BuiltProbes = buildProbes({ cacheDir: opts.cacheDir });
  const cfg = calibrationConfig(quick, parts, seed, E);
  const progress = progressOf(cfg, parts, E, kupdatePeriod(W, env.hz.value ?? 250), opts.onProgress);
  const startedAt = new Date().toISOString();
  const { raw, texts } = await runParts(opts.out, parts, cfg, probes, E, W, progress);
  // The probes' output as printed, beside calibration.json (what the unit tests' fixtures are).
  mkdirSync(join(opts.out, "raw"), { recursive: true });
  for (const [name, text] of Object.entries(texts)) writeFileSync(join(opts.out, "raw", `${name}.jsonl`), text);
  const sysEnd = readSysctls();
  const changed = Object.keys(sysStart).filter((k) => sysStart[k] !== sysEnd[k]);
  return finish({ opts, env, fs, cfg, probes, raw, sysStart, sysEnd, changed, E, W, startedAt });
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
  if (resultsKind(out) === "sweep")
    throw new CalibrateInputError(`output directory ${out} holds a sweep's results: use another --out`);
  ensureOutputDir(out); // no recursive mkdir: it loops forever on /proc in Node 20
}

/** Progress over the whole run, each part weighted by its expected seconds. */
interface Progress {
  /** Report `frac` of `part` done, with its own count. */
  report(part: Part, frac: number, detail: string): void;
  /** Mark `part` done: later parts start from its weight. */
  done(part: Part): void;
  /** Expected seconds of each part. */
  weights: Record<Part, number>;
}

/** The run's Progress, calling `onProgress` (if any) with the overall fraction. */
function progressOf(
  cfg: CalibrationConfig,
  parts: Part[],
  E: number,
  periodGuess: number,
  onProgress?: (p: CalibrateProgress) => void,
): Progress {
  const weights = Object.fromEntries(parts.map((p) => [p, expectedSeconds(cfg, p, E, periodGuess)])) as Record<
    Part,
    number
  >;
  const total = parts.reduce((a, p) => a + weights[p], 0);
  let before = 0;
  return {
    weights,
    report: (part, frac, detail) =>
      onProgress?.({
        part,
        fraction: Math.min(1, (before + weights[part] * Math.min(1, frac)) / total),
        expectedSeconds: total,
        detail,
      }),
    done: (part) => {
      before += weights[part];
    },
  };
}

/**
 * Run the parts' probes one at a time in a scratch folder under `out`, removed at the end, on
 * an error and on SIGINT/SIGTERM (which stop the probe running and throw CalibrateInterrupted).
 */
async function runParts(
  out: string,
  parts: Part[],
  cfg: CalibrationConfig,
  probes: BuiltProbes,
  E: number,
  W: number,
  progress: Progress,
): Promise<{ raw: Calibration["raw"]; texts: Partial<Record<ProbeName, string>> }> {
  const scratch = join(out, `.calibrate-scratch-${process.pid}`);
  const running: Running = { child: null, signal: null };
  const onSignal = (sig: NodeJS.Signals) => {
    running.signal = sig;
    running.child?.kill("SIGTERM"); // the probe removes its own files; the folder goes in finally
  };
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("exit", removeScratch);
  const raw: Calibration["raw"] = { cleanDelay: null, detector: null, longterm: null };
  const texts: Partial<Record<ProbeName, string>> = {};
  try {
    mkdirSync(scratch, { recursive: true });
    for (const part of parts) {
      if (running.signal) throw new CalibrateInterrupted(running.signal);
      const run: PartRun = { scratch, cfg, probes, E, W, running, progress };
      if (part === "clean-delay") raw.cleanDelay = parseCleanDelay((texts["clean-delay"] = await runCleanDelay(run)));
      else if (part === "detector") raw.detector = parseDetector((texts.detector = await runDetector(run)));
      else raw.longterm = parseLongterm((texts.longterm = await runLongterm(run)));
      progress.report(part, 1, "done");
      progress.done(part);
    }
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    removeScratch();
    process.off("exit", removeScratch);
  }
  return { raw, texts };
}

/** What running one part's probe needs. */
interface PartRun {
  scratch: string;
  cfg: CalibrationConfig;
  probes: BuiltProbes;
  E: number;
  W: number;
  running: Running;
  progress: Progress;
}

/** Report a part's progress by elapsed time (twice a second) while `work` runs. */
async function timed(r: PartRun, part: Part, detail: () => string, work: () => Promise<string>): Promise<string> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const timer = setInterval(() => r.progress.report(part, elapsed() / r.progress.weights[part], detail()), 500);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** calibrate/clean-delay.c, its timeout E + 2W + 30 s; progress counts pages seen clean (or timed out). */
function runCleanDelay(r: PartRun): Promise<string> {
  const c = r.cfg.cleanDelay;
  const pages = c.trials * (c.second > 0 ? 2 : 1);
  let cleaned = 0;
  return timed(
    r,
    "clean-delay",
    () => `${cleaned}/${pages} pages clean`,
    () =>
      runProbe(
        "clean-delay",
        r.probes.paths["clean-delay"],
        [
          r.scratch,
          String(c.trials),
          String(c.stagger),
          String(c.second),
          String(c.pollMs),
          String(Math.ceil(r.E + 2 * r.W + 30)),
        ],
        r.running,
        (l) => {
          if (l.includes('"type":"clean"') || l.includes('"type":"timeout"')) cleaned++;
        },
      ),
  );
}

/** calibrate/detector.c; progress counts forks (and skips). */
function runDetector(r: PartRun): Promise<string> {
  const d = r.cfg.detector;
  const forks = d.reps + (d.khi - d.klo + 1) * d.reps * 2 + 2;
  let n = 0;
  return runProbe(
    "detector",
    r.probes.paths.detector,
    [r.scratch, String(d.klo), String(d.khi), String(d.reps), String(d.nopinK), String(d.thpK)],
    r.running,
    (l) => {
      if (l.includes('"type":"fork"') || l.includes('"type":"skip"'))
        r.progress.report("detector", ++n / forks, `${n}/${forks} forks`);
    },
  );
}

/** calibrate/longterm.c; progress counts its records. */
function runLongterm(r: PartRun): Promise<string> {
  let n = 0;
  return timed(
    r,
    "longterm",
    () => `${n}/19 checks`,
    () =>
      runProbe("longterm", r.probes.paths.longterm, [r.scratch, String(r.cfg.longterm.settle)], r.running, () => {
        n++;
      }),
  );
}

interface FinishInput {
  opts: CalibrateOptions;
  env: Environment;
  fs: ReturnType<typeof readFilesystem>;
  cfg: CalibrationConfig;
  probes: Pick<BuiltProbes, "sourceHash" | "sourceFiles" | "compiler">;
  raw: Calibration["raw"];
  sysStart: Record<string, number | null>;
  sysEnd: Record<string, number | null>;
  changed: string[];
  E: number;
  W: number;
  startedAt: string;
}

/** HZ the model uses: CONFIG_HZ where the kernel says it, else the candidate nearest the measured period. */
export function chooseHz(
  known: number | null,
  measuredPeriod: number | null,
  W: number,
): { hz: number; source: string } {
  if (known !== null) return { hz: known, source: "CONFIG_HZ" };
  if (measuredPeriod === null) return { hz: 250, source: "default (CONFIG_HZ not exported, period not measured)" };
  const cands = [250, 100, 300, 1000];
  const dist = (hz: number) => Math.abs(kupdatePeriod(W, hz) - measuredPeriod);
  const best = cands.reduce((a, b) => (dist(b) < dist(a) ? b : a));
  // Several HZ can round W to the same period (at W = 5 s: 250, 300 and 1000 all give 5.12 s).
  const ties = cands.filter((h) => kupdatePeriod(W, h) === kupdatePeriod(W, best));
  return {
    hz: best,
    source: `inferred from the measured period ${measuredPeriod.toFixed(3)} s${ties.length > 1 ? ` (HZ ${ties.join(", ")} give the same period)` : ""}`,
  };
}

/** Statistics, model side, comparison, files: everything after the probes (pure but for the write). */
export function finish(x: FinishInput): Calibration {
  const { raw, E, W, cfg } = x;
  const ck = raw.cleanDelay ? cleanDelayKernel(raw.cleanDelay, E, W) : null;
  const dk = raw.detector ? detectorKernel(raw.detector) : null;
  const lk = raw.longterm ? longtermKernel(raw.longterm) : null;
  const hz = chooseHz(x.env.hz.value, ck?.period.period ?? null, W);
  const { model, rows } = modelSide(x, { cleanDelay: ck, detector: dk, longterm: lk }, hz.hz);
  const c: Calibration = {
    format: CALIBRATION_FORMAT,
    pinsim: `pinsim ${PACKAGE_VERSION}`,
    config: cfg,
    startedAt: x.startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      ...x.env,
      filesystem: x.fs,
      hzUsed: hz.hz,
      hzSource: x.env.hz.value !== null ? `CONFIG_HZ from ${x.env.hz.source}` : hz.source,
    },
    sysctls: { start: x.sysStart, end: x.sysEnd, changed: x.changed },
    expire: E,
    writebackInterval: W,
    probes: { sourceHash: x.probes.sourceHash, files: x.probes.sourceFiles, compiler: x.probes.compiler },
    raw,
    kernel: { cleanDelay: ck, detector: dk, longterm: lk },
    model,
    comparison: rows,
  };
  writeCalibration(x.opts.out, c, calibrationManifest(x, rows));
  return c;
}

/** The model's side of each part the kernel side has, and the comparison rows, in part order. */
function modelSide(
  x: FinishInput,
  kernel: Calibration["kernel"],
  hz: number,
): { model: Calibration["model"]; rows: ComparisonRow[] } {
  const { E, W, cfg } = x;
  const { cleanDelay: ck, detector: dk, longterm: lk } = kernel;
  const rows: ComparisonRow[] = [];
  const model: Calibration["model"] = { cleanDelay: null, detector: null, longterm: null };
  if (ck) {
    model.cleanDelay = modelCleanDelays({
      expire: E,
      writebackInterval: W,
      hz,
      quick: cfg.mode === "quick",
      seed: cfg.seed,
    });
    rows.push(...cleanDelayRows(ck, model.cleanDelay));
  }
  if (dk) {
    model.detector = {
      lru: modelThreshold(0),
      batch: modelThreshold(1),
      noPinnedFlag: modelForkCopies({ k: dk.noPinnedFlag.k, batch: 0, hasPinned: false }),
      ioUringPin: modelForkCopies({ k: 0, batch: 0, pins: 1, hasPinned: true }),
      bias: 1024,
    };
    rows.push(...detectorRows(dk, model.detector));
  }
  if (lk) {
    const p = presetFor(x.env.kernelRelease);
    const preset = p ? `${p.id}${p.exact ? "" : " (nearest)"}` : (presetOf(x.env.kernelRelease) ?? x.env.kernelRelease);
    const regs = modelRegistrations(x.fs.type, x.env.kernelRelease);
    model.longterm = {
      preset,
      source: [...new Set(regs.map((r) => r.source))].join("; "),
      registrations: regs,
      odirect: modelOdirect(),
    };
    rows.push(...longtermRows(lk, regs, preset, model.longterm.odirect));
  }
  return { model, rows };
}

/** manifest.json of the calibration folder: the sweep manifest's fields, `kind: "calibration"`, the agreement counts. */
function calibrationManifest(x: FinishInput, rows: ComparisonRow[]): CalibrationManifest {
  const cfg = x.cfg;
  const configText = JSON.stringify(cfg);
  return {
    kind: "calibration",
    name: `calibrate-${x.env.kernelRelease}`,
    config: cfg,
    configHash: createHash("sha256").update(configText).digest("hex"),
    rootSeed: cfg.seed,
    prng: "model runs: the engine's seeded streams (seed = config.seed)",
    pinsim: `pinsim ${PACKAGE_VERSION}`,
    git: packageGitCommit(),
    node: process.version,
    axes: [],
    metrics: [],
    shard: null,
    points: [],
    kernelRelease: x.env.kernelRelease,
    probesSourceHash: x.probes.sourceHash,
    agree: {
      rows: rows.length,
      agree: rows.filter((r) => r.agree === true).length,
      disagree: rows.filter((r) => r.agree === false).length,
      notMeasured: rows.filter((r) => r.agree === null).length,
    },
  };
}
