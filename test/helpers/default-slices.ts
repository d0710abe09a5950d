/**
 * The default sweep's figure slices (test/fixtures/plot/default-slices.json, built by
 * test/fixtures/plot/make-default-slices.ts from `pinsim sweep default`) as a ResultsTable:
 * the manifest's points rebuilt from its config, every one done, as loadResults gives them.
 */
import { readFileSync } from "node:fs";
import { buildManifest, makePlan } from "../../src/sweep/plan.js";
import type { Manifest, ResultsTable, Row } from "../../src/sweep/types.js";

export function defaultSlices(): ResultsTable {
  const file = new URL("../fixtures/plot/default-slices.json", import.meta.url);
  const f = JSON.parse(readFileSync(file, "utf8")) as { manifest: Omit<Manifest, "points">; summary: Row[] };
  const plan = makePlan(f.manifest.config);
  if (plan.configHash !== f.manifest.configHash) throw new Error("default-slices.json: config hash mismatch");
  const manifest = {
    ...buildManifest(plan, new Set(plan.points.map((p) => p.index))),
    pinsim: f.manifest.pinsim,
    git: f.manifest.git,
    node: f.manifest.node,
    prng: f.manifest.prng,
  };
  return { dir: "data/results/default", manifest, runs: [], summary: f.summary };
}
