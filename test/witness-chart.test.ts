// Witness charts: the message-sequence chart of a checker witness as text (<= 72 columns,
// golden file) and as Plot options rendered to SVG (one arrow and one page state per step,
// the incident's step in red), for two and for eight actors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConfig, loadScenario, parseScenario, applyVariant, runScenario } from "../src/checker/index.js";
import { plotSvg, witnessPlot, witnessText, type WitnessChart } from "../src/plot/index.js";
import { golden as goldenFile } from "./helpers/golden.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** test/golden/checker/NAME through the suite's one golden helper. */
function golden(name: string, actual: string): void {
  goldenFile(`checker/${name}`, actual);
}

function chartOf(
  scenario: string,
  policy: "legacy-put-page" | "foll-pin",
  variant: string,
  incident: "lostData" | "dirtyWithoutBuffers",
): WitnessChart {
  const s = loadScenario(join(ROOT, "data/scenarios", `${scenario}.scenario`));
  const [run] = runScenario(s, { policies: [policy], variants: [variant] });
  const steps = run.result.witnesses[incident];
  assert.ok(steps, `${scenario} ${policy}/${variant} reaches ${incident}`);
  return {
    scenario,
    policy,
    variant,
    incident,
    actors: run.result.actors,
    steps,
    choices: run.result.choices[incident],
  };
}

test("the 2018 race as a text chart: <= 72 columns, a lane mark per step, the page beside it", () => {
  const c = chartOf("GUP-slow+WB+reclaim+release", "legacy-put-page", "base", "lostData");
  const text = witnessText(c);
  for (const line of text.split("\n")) assert.ok(line.length <= 72, `over 72 columns: ${line}`);
  // Every step's row has exactly one '*' in the lane columns, in its actor's lane.
  const rows = text.split("\n").filter((l) => /^\d+\.\s/.test(l));
  assert.equal(rows.length, c.steps.length);
  for (const [i, row] of rows.entries()) {
    const lanes = row.slice(4, 4 + 3 * (c.actors.length + 1));
    assert.equal(lanes.split("*").length - 1, 1, row);
    if (c.steps[i].page) assert.ok(row.endsWith(c.steps[i].page!) || row.includes(c.steps[i].page!.slice(0, 6)), row);
  }
  golden("chart.GUP-slow+WB+reclaim+release.legacy-put-page.base.lostData.txt", text);
});

test("the chart as SVG: one arrow and one page state per step, the incident's step in red", () => {
  const c = chartOf("GUP-slow+WB+reclaim+release", "legacy-put-page", "base", "lostData");
  const svg = plotSvg(witnessPlot(c));
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const a of c.actors) assert.ok(svg.includes(a.title), a.title);
  assert.ok(svg.includes("the page"));
  // Plot draws each arrow as one <path> in the arrow mark's group.
  const arrows = /<g aria-label="arrow"[^>]*>(.*?)<\/g>/s.exec(svg)![1];
  assert.equal(arrows.match(/<path/g)!.length, c.steps.length);
  // The red step is the one that makes lostData happen: the final sync here.
  const last = c.steps.at(-1)!;
  assert.deepEqual(last.incidents.includes("lostData"), true);
  assert.match(svg, /fill="#b2182b"[^>]*>.*?sync: dropped/s);
});

test("eight actors still fit 72 columns", () => {
  const s = parseScenario(
    [
      "Scenario: t",
      "Policies: foll-pin",
      "Guard: off",
      "Actor P0: gup dma=1",
      "Actor P1: flusher",
      "Actor P2: reclaim",
      "Actor P3: cpu stores=0",
      "Actor P4: cpu stores=0",
      "Actor P5: cpu stores=0",
      "Actor P6: cpu stores=0",
      "Actor P7: cpu stores=0",
    ].join("\n"),
  );
  const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
  const r = checkConfig({ policy: "foll-pin", page: pages, knobs, actors });
  const steps = r.witnesses.writeToCleanPage!;
  assert.ok(steps);
  const text = witnessText({
    scenario: "t",
    policy: "foll-pin",
    variant: "base",
    incident: "writeToCleanPage",
    actors: r.actors,
    steps,
  });
  for (const line of text.split("\n")) assert.ok(line.length <= 72, `over 72 columns: ${line}`);
});
