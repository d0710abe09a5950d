/**
 * Everything `pinsim calibrate` does after the probes: the kernel side's statistics, the
 * model run on the same parameters, the comparison rows and the results folder.
 */
import { createHash } from "node:crypto";
import { kupdatePeriod } from "../engine/flusher.js";
import { packageGitCommit } from "../sweep/plan.js";
import { PACKAGE_VERSION } from "../version.js";
import type { BuiltProbes } from "./build.js";
import { cleanDelayRows, detectorRows, longtermRows, verdictCounts, type ComparisonRow } from "./compare.js";
import type { Environment, readFilesystem } from "./environment.js";
import {
  modelCleanDelays,
  modelForkCopies,
  modelOdirect,
  modelRegistrations,
  modelThreshold,
  presetFor,
} from "./model.js";
import { presetOf } from "./refusal.js";
import type { CalibrateOptions } from "./run.js";
import { hasFeature, NEWEST_KERNEL } from "../model/kernels.js";
import { BACKINGS, type Backing } from "../model/backings.js";
import { cleanDelayKernel, detectorKernel, longtermKernel } from "./stats.js";
import {
  CALIBRATION_FORMAT,
  writeCalibration,
  type Calibration,
  type CalibrationConfig,
  type CalibrationManifest,
} from "./store.js";

/** What finish() needs: the run's options, the machine as read, the probes' records and the sysctls around them. */
export interface FinishInput {
  /** The run's options (only `out`, the results folder, is read here). */
  opts: CalibrateOptions;
  /** The machine as readEnvironment() saw it. */
  env: Environment;
  /** The results folder's filesystem (statfs type and name). */
  fs: ReturnType<typeof readFilesystem>;
  /** The probe settings of the run (calibrationConfig()). */
  cfg: CalibrationConfig;
  /** The probes' source hash, files and compiler, for the manifest. */
  probes: Pick<BuiltProbes, "sourceHash" | "sourceFiles" | "compiler">;
  /** Each part's parsed probe output, null for a part not run. */
  raw: Calibration["raw"];
  /** The sysctls (SYSCTLS) before the probes, by name; null where unreadable. */
  sysStart: Record<string, number | null>;
  /** The same sysctls after the probes. */
  sysEnd: Record<string, number | null>;
  /** Names of the sysctls whose value changed during the run. */
  changed: string[];
  /** vm.dirty_expire_centisecs in seconds. */
  E: number;
  /** vm.dirty_writeback_centisecs in seconds. */
  W: number;
  /** ISO 8601 time the probes started. */
  startedAt: string;
  /** The load averages after the probes (readLoadAverage); absent or null where unknown. */
  loadAverageEnd?: number[] | null;
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
      loadAverage: x.env.loadAverage ?? null,
      loadAverageEnd: x.loadAverageEnd ?? null,
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

/**
 * The model's side of each part the kernel side has (null parts skipped), and the
 * comparison rows, in part order. The longterm part's model uses `x.fs.type` and
 * `x.env.kernelRelease` (the preset of that release); clean delay uses E, W and `hz`.
 */
export function modelSide(
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
    rows.push(
      ...cleanDelayRows(ck, model.cleanDelay, {
        loadAverage: x.env.loadAverage ?? null,
        loadAverageEnd: x.loadAverageEnd ?? null,
        cpus: x.env.cpus,
      }),
    );
  }
  const preset = presetFor(x.env.kernelRelease);
  // Before 6.3 the probe's O_DIRECT read takes FOLL_GET, so it sets no MMF_HAS_PINNED (mm/gup.c: FOLL_PIN only).
  const odirectPins = preset === null || hasFeature(preset.id, "odirectPin");
  if (dk) {
    // The model's fork (src/model/anon.ts copyPresentPte) on the preset of the measured release.
    const kernel = preset?.id ?? NEWEST_KERNEL;
    model.detector = {
      preset: kernel,
      lru: odirectPins ? modelThreshold(0, 1024, kernel) : null,
      batch: odirectPins ? modelThreshold(1, 1024, kernel) : null,
      noPinnedFlag: modelForkCopies({ k: dk.noPinnedFlag.k, batch: 0, hasPinned: false, kernel }),
      ioUringPin: modelForkCopies({ k: 0, batch: 0, pins: 1, hasPinned: true, kernel }),
      thp: modelForkCopies({ k: "k" in dk.thp ? dk.thp.k : 8192, batch: 0, hasPinned: true, kernel, folioOrder: 9 }),
      bias: 1024,
      noThresholdWhy: odirectPins
        ? null
        : `never: preset ${preset?.id}'s O_DIRECT read takes FOLL_GET (FOLL_PIN from 6.3, block/bio.c), so the probe's process has no MMF_HAS_PINNED`,
    };
    rows.push(...detectorRows(dk, model.detector));
  }
  if (lk) {
    const p = preset;
    const presetText = p
      ? `${p.id}${p.exact ? "" : " (nearest)"}`
      : (presetOf(x.env.kernelRelease) ?? x.env.kernelRelease);
    const regs = modelRegistrations(x.fs.type, x.env.kernelRelease);
    model.longterm = {
      preset: presetText,
      source: [...new Set(regs.map((r) => r.source))].join("; "),
      registrations: regs,
      odirect: modelOdirect(
        1024,
        preset?.id ?? null,
        (BACKINGS as readonly string[]).includes(x.fs.type) ? (x.fs.type as Backing) : "ext4",
      ),
    };
    rows.push(...longtermRows(lk, regs, presetText, model.longterm.odirect));
  }
  return { model, rows };
}

/** manifest.json of the calibration folder: the sweep manifest's fields, `kind: "calibration"`, the agreement counts. */
export function calibrationManifest(x: FinishInput, rows: ComparisonRow[]): CalibrationManifest {
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
    agree: (({ agree, notRefuted, differ, notMeasured }) => ({
      rows: rows.length,
      agree,
      notRefuted,
      disagree: differ,
      notMeasured,
    }))(verdictCounts(rows)),
  };
}
