/**
 * The calibration results folder, in the sweep's format: `manifest.json` (the sweep
 * manifest's fields, with `kind: "calibration"`, no axes and no points) and
 * `calibration.json` (every raw sample, the machine, the derived statistics, the model's
 * side and the comparison table). Files are replaced by write-to-temp + rename.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PACKAGE_VERSION } from "../version.js";
import type { ComparisonRow } from "./compare.js";
import type { Environment, FilesystemInfo, Part } from "./environment.js";
import { CalibrateInputError } from "./errors.js";
import type { CleanDelayModel, ModelRegistration } from "./model.js";
import type { CleanDelayRaw, DetectorRaw, LongtermRaw } from "./parse.js";
import type { CleanDelayKernel, DetectorKernel, LongtermKernel } from "./stats.js";

export const CALIBRATION_FORMAT = "pinsim-calibration/1";
export const CALIBRATION_FILES = { manifest: "manifest.json", calibration: "calibration.json" } as const;

export interface CalibrationConfig {
  mode: "quick" | "full";
  parts: Part[];
  /** Seed of the model runs. */
  seed: number;
  /** Probe settings as run. */
  cleanDelay: { trials: number; stagger: number; second: number; pollMs: number };
  detector: { klo: number; khi: number; reps: number; nopinK: number; thpK: number };
  longterm: { settle: number };
}

/** calibration.json. Times: seconds; raw probe times: CLOCK_MONOTONIC seconds. */
export interface Calibration {
  format: typeof CALIBRATION_FORMAT;
  pinsim: string;
  config: CalibrationConfig;
  startedAt: string;
  finishedAt: string;
  machine: Environment & { filesystem: FilesystemInfo; hzUsed: number; hzSource: string };
  /** Sysctls at the start and at the end; `changed` names those that differ. */
  sysctls: { start: Record<string, number | null>; end: Record<string, number | null>; changed: string[] };
  /** E and W from the sysctls, seconds. */
  expire: number;
  writebackInterval: number;
  probes: { sourceHash: string; files: Record<string, string>; compiler: string };
  raw: { cleanDelay: CleanDelayRaw | null; detector: DetectorRaw | null; longterm: LongtermRaw | null };
  kernel: { cleanDelay: CleanDelayKernel | null; detector: DetectorKernel | null; longterm: LongtermKernel | null };
  model: {
    cleanDelay: CleanDelayModel | null;
    detector: { lru: number | null; batch: number | null; noPinnedFlag: boolean; ioUringPin: boolean; bias: number } | null;
    longterm: { preset: string; source: string; registrations: ModelRegistration[]; odirect: { pinned: boolean; dirty: boolean; buffers: boolean } } | null;
  };
  comparison: ComparisonRow[];
}

/** The sweep manifest's fields for a calibration (src/sweep/types.ts Manifest), plus `kind`. */
export interface CalibrationManifest {
  kind: "calibration";
  name: string;
  config: CalibrationConfig;
  configHash: string;
  rootSeed: number;
  prng: string;
  pinsim: string;
  git: string | null;
  node: string;
  axes: string[];
  metrics: string[];
  shard: null;
  points: never[];
  kernelRelease: string;
  probesSourceHash: string;
  agree: { rows: number; agree: number; disagree: number; notMeasured: number };
}

function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

export function writeCalibration(dir: string, c: Calibration, manifest: CalibrationManifest): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(dir, CALIBRATION_FILES.calibration, JSON.stringify(c, null, 1) + "\n");
  writeAtomic(dir, CALIBRATION_FILES.manifest, JSON.stringify(manifest, null, 2) + "\n");
}

/** The manifest's `kind`: "calibration", or "sweep" for a sweep's manifest (no kind), or null without a manifest. */
export function resultsKind(dir: string): "calibration" | "sweep" | null {
  let text: string;
  try {
    text = readFileSync(join(dir, CALIBRATION_FILES.manifest), "utf8");
  } catch {
    return null;
  }
  try {
    const m = JSON.parse(text) as { kind?: unknown };
    return m && m.kind === "calibration" ? "calibration" : "sweep";
  } catch {
    return "sweep"; // the sweep loader reports the corrupted manifest in its own words
  }
}

const ROW = z.object({
  part: z.enum(["clean-delay", "detector", "longterm"]), quantity: z.string(), kernel: z.string(), kernelInterval: z.string().nullable(),
  model: z.string(), modelInterval: z.string().nullable(), agree: z.boolean().nullable(), rule: z.string(),
});
const CALIBRATION = z.object({
  format: z.literal(CALIBRATION_FORMAT),
  pinsim: z.string(),
  config: z.object({ mode: z.enum(["quick", "full"]), parts: z.array(z.string()) }).passthrough(),
  machine: z.object({ kernelRelease: z.string(), filesystem: z.object({ type: z.string() }).passthrough(), hzUsed: z.number() }).passthrough(),
  expire: z.number(),
  writebackInterval: z.number(),
  sysctls: z.object({ changed: z.array(z.string()) }).passthrough(),
  probes: z.object({ sourceHash: z.string() }).passthrough(),
  raw: z.object({}).passthrough(),
  kernel: z.object({}).passthrough(),
  model: z.object({}).passthrough(),
  comparison: z.array(ROW),
}).passthrough();

/** Read and check a calibration folder. Throws CalibrateInputError (one line) on anything else. */
export function loadCalibration(dir: string): Calibration {
  const path = join(dir, CALIBRATION_FILES.calibration);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CalibrateInputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run pinsim calibrate --out ${dir}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CalibrateInputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = CALIBRATION.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new CalibrateInputError(`${path}: not a pinsim calibration: field ${iss?.path.join(".") || "(file)"}: ${iss?.message}`);
  }
  const major = (s: string) => /(\d+)\.(\d+)\./.exec(s)?.slice(1, 3).join(".");
  if (major(r.data.pinsim) !== major(PACKAGE_VERSION))
    throw new CalibrateInputError(`${path}: written by ${r.data.pinsim}, this is pinsim ${PACKAGE_VERSION}: rerun pinsim calibrate`);
  return raw as Calibration;
}
