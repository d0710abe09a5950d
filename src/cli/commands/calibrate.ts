/**
 * `pinsim calibrate [--quick] [--only PARTS] [--out DIR] [--seed N] [--strict] [--quiet]`:
 * measure the running kernel (as root) and hold the model against it.
 */
import type { Command } from "commander";
import cliProgress from "cli-progress";
import {
  calibrate,
  CalibrateInputError,
  CalibrateInterrupted,
  CalibrateUnavailableError,
  comparisonText,
  parseParts,
  ProbeError,
  type CalibrateProgress,
} from "../../calibrate/index.js";
import { realpathSync } from "node:fs";
import { basename, join } from "node:path";
import { calibrateLab, parseLabParts } from "../../calibrate/lab/run.js";
import { parseKernelSpec } from "../../calibrate/lab/spec.js";
import { matrixText } from "../../calibrate/lab/matrix.js";
import { loadCalibration, resultsKind, type Calibration } from "../../calibrate/index.js";
import { CALIBRATION_FIGURES, getCalibrationFigure, renderCalibrationFigure } from "../../plot/calibration.js";
import { CALIBRATION_MATRIX_FIGURE, renderCalibrationMatrix } from "../../plot/calibration-matrix.js";
import { PlotInputError } from "../../plot/table.js";
import type { Format } from "../../plot/figures.js";
import { UsageError } from "../errors.js";
import { parseIntegerFlag } from "../../numbers.js";
import { checkOutputFile, ensureOutputDir, writeOutputFile } from "../../out-dir.js";

function nonNegativeInt(text: string): number {
  return parseIntegerFlag("--seed", text, 0, 2 ** 32 - 1);
}

function fmt(s: number): string {
  const r = Math.max(0, Math.round(s));
  return r >= 60 ? `${Math.floor(r / 60)}m${String(r % 60).padStart(2, "0")}s` : `${r}s`;
}

/** A bar with ETA on a terminal; a line every 10 s otherwise (CI logs). */
function progressReporter(): { update: (p: CalibrateProgress) => void; stop: () => void } {
  const t0 = performance.now();
  const eta = (p: CalibrateProgress) => {
    const el = (performance.now() - t0) / 1000;
    // The expected durations are known up front (E + P for a clean-delay trial): use them, not the rate.
    return (
      Math.max(p.expectedSeconds * (1 - p.fraction), 0, p.fraction > 0 ? el / p.fraction - el : 0) *
      (p.fraction >= 1 ? 0 : 1)
    );
  };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: "calibrate [{bar}] {percentage}% | {part}: {detail} | ETA {myeta}",
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const payload = { part: p.part, detail: p.detail, myeta: fmt(eta(p)) };
        const v = Math.round(p.fraction * 1000);
        if (!started) {
          bar.start(1000, v, payload);
          started = true;
        } else bar.update(v, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = -Infinity;
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < 10000 && p.detail !== "done") return;
      last = now;
      process.stderr.write(
        `calibrate: ${p.part}: ${p.detail}, ${Math.floor(p.fraction * 100)}% done, ${fmt((now - t0) / 1000)} elapsed, ETA ${fmt(eta(p))}\n`,
      );
    },
    stop: () => {},
  };
}

/** The results folder when --out is not given: data/results/calibrate, or calibrate-<spec> for a guest. */
function defaultOut(kernel: string): string {
  if (kernel === "host") return "data/results/calibrate";
  const name = kernel.startsWith("debian:") ? kernel.replace(":", "-") : basename(kernel);
  return `data/results/calibrate-${name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/** Register `pinsim calibrate` (measure this kernel, compare with the model); its exit code goes to `state.code` (1 on --strict disagreement or a probe failure, 130/143 on a signal). */
export function registerCalibrate(program: Command, state: { code: number }): void {
  program
    .command("calibrate")
    .description(
      "measure the running kernel (root, Linux) and compare it with the model: clean delays, the pin detector's threshold, long-term pin refusals",
    )
    .option("--quick", "a few trials per question (under 3 minutes at E = 30 s); what CI runs")
    .option(
      "--only <parts>",
      "comma-separated parts: clean-delay, detector, longterm; with --kernel also reclaim-writes (default all)",
    )
    .option(
      "--kernel <spec>",
      "host (default: the running kernel), debian:6.1, debian:6.12 (fetched once with apt-get download), or a path to a bzImage: booted under QEMU",
      "host",
    )
    .option("--modules <dir>", "with --kernel PATH: the image's lib/modules/RELEASE tree")
    .option(
      "--out <dir>",
      "results folder (default data/results/calibrate, with --kernel data/results/calibrate-<spec>); a rerun into it must measure the same kernel, replaces calibration.json and removes the raw/ files of parts it does not run and the old figures",
    )
    .option("--seed <n>", "seed of the model runs", nonNegativeInt, 1)
    .option("--strict", "exit 1 when any quantity differs between kernel and model")
    .option("--quiet", "no progress output")
    .action((opts: CalibrateFlags) => runCalibrate(opts, state));
}

/** Whether `pinsim plot` / `pinsim report` should hand this folder to the calibration views. */
export function isCalibrationDir(dir: string): boolean {
  return resultsKind(dir) === "calibration";
}

function loadOrUsage(dir: string): Calibration {
  try {
    return loadCalibration(dir);
  } catch (e) {
    if (e instanceof CalibrateInputError) throw new UsageError(e.message);
    throw e;
  }
}

/** `pinsim report DIR` on a calibration folder: the comparison table as text. */
export function reportCalibration(dir: string): void {
  process.stdout.write(comparisonText(loadOrUsage(dir)));
}

/** `pinsim report DIR DIR…` on calibration folders (one per kernel): the matrix quantity x kernel as text. */
export function reportCalibrationMatrix(dirs: string[]): void {
  for (const d of dirs)
    if (!isCalibrationDir(d))
      throw new UsageError(`${d}: not a calibration folder (several folders: each from pinsim calibrate)`);
  refuseRepeatedDirs(dirs);
  process.stdout.write(matrixText(dirs.map(loadOrUsage)));
}

/** A folder given twice would be two identical kernel columns. @throws UsageError. */
function refuseRepeatedDirs(dirs: string[]): void {
  const seen = new Map<string, string>();
  for (const d of dirs) {
    const real = realpathSync(d);
    const first = seen.get(real);
    if (first !== undefined)
      throw new UsageError(`${d}: the same calibration folder as ${first}; give each kernel's folder once`);
    seen.set(real, d);
  }
}

/** `pinsim plot DIR DIR…` on calibration folders (one per kernel): the matrix figure, in `--out` (default the first folder's figures/). */
export function plotCalibrationMatrix(dirs: string[], opts: { formats: Format[]; out?: string }): void {
  for (const d of dirs)
    if (!isCalibrationDir(d))
      throw new UsageError(`${d}: not a calibration folder (several folders: each from pinsim calibrate)`);
  refuseRepeatedDirs(dirs);
  const cals = dirs.map(loadOrUsage);
  const out = opts.out ?? join(dirs[0], "figures");
  ensureOutputDir(out, { noSymlink: true });
  const written = opts.formats.map((fmt) =>
    writeOutputFile(out, `${CALIBRATION_MATRIX_FIGURE}.${fmt}`, renderCalibrationMatrix(cals, fmt)),
  );
  process.stdout.write(`${CALIBRATION_MATRIX_FIGURE}: ${written.join(", ")}\n`);
}

/** `pinsim plot DIR` on a calibration folder: every figure its parts allow (or those named). */
export function plotCalibration(dir: string, opts: { figure?: string[]; formats: Format[]; out?: string }): void {
  const c = loadOrUsage(dir);
  let figures: typeof CALIBRATION_FIGURES;
  try {
    figures = opts.figure?.length
      ? opts.figure
          .flatMap((n) => n.split(","))
          .filter(Boolean)
          .map((n) => getCalibrationFigure(n))
      : CALIBRATION_FIGURES.filter((f) => f.missing(c) === null);
    for (const f of figures) {
      const why = f.missing(c);
      if (why) throw new PlotInputError(`${f.name}: ${why}`);
    }
  } catch (e) {
    if (e instanceof PlotInputError) throw new UsageError(e.message);
    throw e;
  }
  if (figures.length === 0) throw new UsageError(`${dir}: the calibration has no part a figure needs`);
  const out = opts.out ?? join(dir, "figures");
  ensureOutputDir(out, { noSymlink: true });
  for (const f of figures) for (const fmt of opts.formats) checkOutputFile(out, `${f.name}.${fmt}`); // all before any is written
  for (const f of figures) {
    const written = opts.formats.map((fmt) =>
      writeOutputFile(out, `${f.name}.${fmt}`, renderCalibrationFigure(c, f.name, fmt)),
    );
    process.stdout.write(`${f.name}: ${written.join(", ")}\n`);
  }
}

/** The flags of `pinsim calibrate`. */
type CalibrateFlags = {
  quick?: boolean;
  only?: string;
  kernel: string;
  modules?: string;
  out?: string;
  seed: number;
  strict?: boolean;
  quiet?: boolean;
};

/** `pinsim calibrate`'s action: the host or a lab guest, the table printed, the exit code in `state`. */
async function runCalibrate(opts: CalibrateFlags, state: { code: number }): Promise<void> {
  let reporter: ReturnType<typeof progressReporter> | null = null;
  try {
    const spec = parseKernelSpec(opts.kernel, opts.modules ?? null);
    const out = opts.out ?? defaultOut(opts.kernel);
    reporter = opts.quiet ? null : progressReporter();
    const c =
      spec.kind === "host"
        ? await calibrate({
            out,
            quick: !!opts.quick,
            only: opts.only !== undefined ? parseParts(opts.only) : null,
            seed: opts.seed,
            onProgress: reporter?.update,
          })
        : await calibrateLab({
            spec,
            out,
            quick: !!opts.quick,
            only: opts.only !== undefined ? parseLabParts(opts.only) : null,
            seed: opts.seed,
            onProgress: reporter?.update,
          });
    reporter?.stop();
    process.stdout.write(comparisonText(c));
    process.stdout.write(`-> ${out}/calibration.json (pinsim report ${out}; pinsim plot ${out})\n`);
    state.code = opts.strict && c.comparison.some((r) => r.agree === false) ? 1 : 0;
  } catch (e) {
    reporter?.stop();
    if (e instanceof CalibrateInputError || e instanceof CalibrateUnavailableError) throw new UsageError(e.message);
    if (e instanceof ProbeError) {
      process.stderr.write(`pinsim: ${e.message}\n`);
      state.code = 1;
      return;
    }
    if (e instanceof CalibrateInterrupted) {
      process.stderr.write(`pinsim: ${e.message}\n`);
      state.code = e.signal === "SIGINT" ? 130 : 143;
      return;
    }
    throw e;
  }
}
