/**
 * The probes of `pinsim calibrate` run one part at a time: each probe a child process whose
 * JSON lines are read as they come (for progress), in a scratch folder under the results
 * folder that is removed at the end, on error and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BuiltProbes, ProbeName } from "./build.js";
import type { Part } from "./environment.js";
import { ProbeError } from "./errors.js";
import { parseCleanDelay, parseDetector, parseLongterm } from "./parse.js";
import type { CalibrateProgress } from "./run.js";
import type { Calibration, CalibrationConfig } from "./store.js";

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

function expectedSeconds(cfg: CalibrationConfig, part: Part, expire: number, period: number): number {
  if (part === "clean-delay") return 0.5 + (cfg.cleanDelay.trials - 1) * cfg.cleanDelay.stagger + expire + period + 0.5;
  if (part === "detector") return 1 + 0.01 * (cfg.detector.khi - cfg.detector.klo + 1) * cfg.detector.reps * 2;
  return 2 * cfg.longterm.settle + 1;
}

/** The probe running now (null between probes) and the signal that stopped the run, if any. */
export interface Running {
  /** The probe's child process while one runs, else null. */
  child: ChildProcess | null;
  /** SIGINT or SIGTERM once one arrived (the run then stops), else null. */
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

/** Progress over the whole run, each part weighted by its expected seconds. */
export interface Progress {
  /** Report `frac` of `part` done, with its own count. */
  report(part: Part, frac: number, detail: string): void;
  /** Mark `part` done: later parts start from its weight. */
  done(part: Part): void;
  /** Expected seconds of each part. */
  weights: Record<Part, number>;
}

/** The run's Progress, calling `onProgress` (if any) with the overall fraction. */
export function progressOf(
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
export async function runParts(
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
