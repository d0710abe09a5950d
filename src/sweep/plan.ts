/**
 * A sweep plan: a validated config, its hash, its grid and the slice this process runs.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PRNG_NAME } from "../engine/random.js";
import { METRIC_NAMES } from "../model/metrics.js";
import { PACKAGE_VERSION } from "../version.js";
import { parseSweepConfig } from "./config.js";
import { checkSweep } from "../model/budget.js";
import { expandAxis, expandGrid, pointSeeds, type SweepPoint } from "./grid.js";
import { canonicalJson, sha256Hex } from "./hash.js";
import { inShard, type Shard } from "./shard.js";
import type { FailedPoint, Manifest, SweepConfig } from "./types.js";

/** A sweep made concrete (makePlan): the validated config, its grid, this shard's points and every run's seed. */
export interface SweepPlan {
  /** The config as validated, defaults filled. */
  config: SweepConfig;
  /** sha256 hex of its canonical JSON (configHash): what a rerun or a merge must match. */
  configHash: string;
  /** The axis names, in the config's order (the grid's nesting, first outermost). */
  axes: string[];
  /** The whole grid. */
  grid: SweepPoint[];
  /** The points of this shard (the whole grid without one), in grid order. */
  points: SweepPoint[];
  /** The shard this plan runs (`--shard i/n`), or null for the whole grid. */
  shard: Shard | null;
  /** Per grid index of this shard's points: the run seeds, one per replicate (pointSeeds: sha256 of root seed, point key, replicate, as uint32). */
  seeds: Map<number, number[]>;
}

/** sha256 of the canonical JSON of a config. */
export function configHash(config: SweepConfig): string {
  return sha256Hex(canonicalJson(config));
}

/** Validate a config and expand its grid (throws ParamError on any bad field or point). */
export function makePlan(input: unknown, shard: Shard | null = null): SweepPlan {
  const config = parseSweepConfig(input);
  // Runs of this process, before expanding (a 10^6-point grid is refused at once).
  const total = Object.values(config.axes).reduce((a, axis) => a * expandAxis(axis).length, 1);
  checkSweep(Math.ceil(total / (shard?.count ?? 1)), config.seeds, 0);
  const grid = expandGrid(config);
  const points = grid.filter((p) => inShard(p.index, shard));
  checkSweep(
    points.length,
    config.seeds,
    points.reduce((a, p) => a + p.expectedEvents * config.seeds, 0),
  );
  const seeds = new Map(points.map((p) => [p.index, pointSeeds(config, p)]));
  return { config, configHash: configHash(config), axes: Object.keys(config.axes), grid, points, shard, seeds };
}

let gitCommit: string | null | undefined;

/** HEAD of the package's git checkout, if it is one. */
export function packageGitCommit(): string | null {
  if (gitCommit !== undefined) return gitCommit;
  try {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const out = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    });
    const text = out.toString().trim();
    gitCommit = /^[0-9a-f]{40}$/.test(text) ? text : null;
  } catch {
    gitCommit = null;
  }
  return gitCommit;
}

/** The manifest of a plan with the given points done. No times or worker counts: it is part of the results. */
export function buildManifest(plan: SweepPlan, done: ReadonlySet<number>, failed: FailedPoint[] = []): Manifest {
  const m: Manifest = {
    name: plan.config.name,
    config: plan.config,
    configHash: plan.configHash,
    rootSeed: plan.config.rootSeed,
    prng: `${PRNG_NAME}; run seeds: sha256(root seed, point key, replicate) -> uint32`,
    pinsim: `pinsim ${PACKAGE_VERSION}`,
    git: packageGitCommit(),
    node: process.version,
    axes: plan.axes,
    metrics: [...METRIC_NAMES],
    shard: plan.shard ? { ...plan.shard } : null,
    points: plan.points.map((p) => ({ key: p.key, axes: p.axes, status: done.has(p.index) ? "done" : "pending" })),
  };
  // Only when some point failed: a complete sweep's manifest is as it always was.
  if (failed.length > 0) {
    const order = new Map(plan.points.map((p, i) => [p.key, i]));
    m.failed = [...failed].sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  }
  return m;
}
