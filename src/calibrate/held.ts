/**
 * What a calibration results folder already holds, and what a rerun into it may do: the
 * kernel of the calibration it holds (a rerun of another kernel is refused, as `sweep`
 * refuses a folder of another sweep), the raw files and figures a rerun of the same kernel
 * leaves stale, and the folder levels a run created (removed again if it stops before
 * writing anything).
 */
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readRegularText } from "../input-file.js";
import { CalibrateInputError } from "./errors.js";
import { CALIBRATION_FILES } from "./store.js";

/** Which kernel a calibration measured: its release and where it came from. */
export interface KernelIdentity {
  /** `uname -r` of the measured kernel, e.g. "6.1.0-57-amd64". */
  release: string;
  /** "host" (the running kernel), "debian:6.1"/"debian:6.12", or the image's absolute path (`--kernel PATH`). */
  source: string;
}

/** "debian:6.1 (6.1.0-57-amd64)": the identity as a refusal names it. */
export const kernelLabel = (k: KernelIdentity): string => `${k.source} (${k.release})`;

/**
 * The kernel of the calibration in `dir`: calibration.json's `lab.spec` and `lab.release`
 * for a guest, "host" and `machine.kernelRelease` otherwise; null when the folder holds no
 * readable calibration.json (nothing to mix with). Never throws.
 */
export function heldKernel(dir: string): KernelIdentity | null {
  let c: { lab?: { spec?: unknown; release?: unknown }; machine?: { kernelRelease?: unknown } };
  try {
    const text = readRegularText(join(dir, CALIBRATION_FILES.calibration));
    if (text === null) return null;
    c = JSON.parse(text);
  } catch {
    return null;
  }
  if (!c || typeof c !== "object") return null;
  if (c.lab && typeof c.lab.spec === "string" && typeof c.lab.release === "string")
    return { release: c.lab.release, source: c.lab.spec };
  const release = c.machine?.kernelRelease;
  return typeof release === "string" ? { release, source: "host" } : null;
}

/**
 * Refuse `--out` when it holds a calibration of another kernel (another release, or the
 * same release from another source: the host, a Debian image, a path): replacing it would
 * mix two kernels' raw files in one folder. Changes nothing.
 * @throws CalibrateInputError, one line naming --out, the folder, the kernel it holds and the one asked for
 */
export function refuseOtherKernel(out: string, asked: KernelIdentity): void {
  const held = heldKernel(out);
  if (held === null || (held.release === asked.release && held.source === asked.source)) return;
  throw new CalibrateInputError(
    `invalid --out: ${out} holds a calibration of ${kernelLabel(held)}, not of the kernel asked for, ${kernelLabel(asked)}: use another --out (a rerun into a calibration folder must measure the same kernel)`,
  );
}

/** A probe's raw output (one per part, or per part and filesystem in a guest) and a guest's own records. */
const OWN_RAW =
  /^(?:(?:clean-delay|detector|longterm|reclaim-memcg|reclaim-kswapd|reclaim-guard|race)(?:-[A-Za-z0-9_]+)?\.jsonl|guest\.jsonl|console\.log)$/;
/** The figures `pinsim plot` draws from a calibration folder (src/plot/calibration.ts, calibration-matrix.ts). */
const OWN_FIGURE = /^calibration-[a-z-]+\.(?:svg|png|txt)$/;

/**
 * Before a rerun's files are written: remove from `out/raw` every raw file of ours that
 * this run does not write (`keep`, file names), and from `out/figures` every figure drawn
 * from the calibration this run replaces. Other files (a user's notes) stay.
 */
export function removeStale(out: string, keep: string[]): void {
  const list = (d: string) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  for (const n of list(join(out, "raw")))
    if (OWN_RAW.test(n) && !keep.includes(n)) rmSync(join(out, "raw", n), { force: true });
  for (const n of list(join(out, "figures"))) if (OWN_FIGURE.test(n)) rmSync(join(out, "figures", n), { force: true });
}

/**
 * The levels of `out` that do not exist yet (deepest first), to be removed by
 * removeCreated if the run stops before writing anything.
 */
export function missingLevels(out: string): string[] {
  const levels: string[] = [];
  for (let p = resolve(out); !existsSync(p) && dirname(p) !== p; p = dirname(p)) levels.push(p);
  return levels;
}

/** Remove the folders `levels` (missingLevels, deepest first) that are still empty directories. Never throws. */
export function removeCreated(levels: string[]): void {
  for (const p of levels) {
    try {
      if (statSync(p).isDirectory()) rmdirSync(p);
    } catch {
      return; // not empty (something was written) or gone: leave it and its parents
    }
  }
}
