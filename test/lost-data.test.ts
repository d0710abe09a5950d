/**
 * The lost-data figure answers its title (issue 24): by default the share of page-pins
 * whose release left data unsaved, with Wilson intervals, in SVG, PNG, text and the report;
 * per run on request. Its rules sit at E and E + P (P the flusher's period in jiffies).
 * On the summary rows of pinsim sweep default (test/fixtures/plot/default-slices.json).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getFigure, PlotInputError, renderFigure, report } from "../src/plot/index.js";
import { wilsonInterval } from "../src/stats/wilson-interval.js";
import { kupdatePeriod } from "../src/engine/flusher.js";
import { join } from "node:path";
import { loadResults } from "../src/sweep/index.js";
import { defaultSlices } from "./helpers/default-slices.js";

const slices = defaultSlices();
const row = (policy: string, pin: number) =>
  slices.summary.find(
    (r) => r.policy === policy && r.pinDuration === pin && r.shareCount === 1 && r.writebackInterval === 5,
  )!;

test("lost-data's default is per page-pin: dirty-at-gup's share rises 45 s → 120 s while its pages lost per run fall", () => {
  // Per run dirty-at-gup loses 846.95 pages at 45 s and 472.25 at 120 s (fewer pins fit in a
  // run: 2096 against 885.8 page-pins per run). Per pin, pooled over the 20 seeds:
  // releasesUnsaved / pinsCompleted = 1698.5·20 / 2096·20 = 0.8104 at 45 s and
  // 840.45·20 / 885.8·20 = 0.9488 at 120 s.
  const at45 = row("dirty-at-gup", 45),
    at120 = row("dirty-at-gup", 120);
  assert.ok(Number(at45.lostData_mean) > Number(at120.lostData_mean), "per run: falls");
  const share = (r: typeof at45) => (Number(r.releasesUnsaved_mean) * 20) / (Number(r.pinsCompleted_mean) * 20);
  assert.ok(Math.abs(share(at45) - 0.8104) < 1e-4 && Math.abs(share(at120) - 0.9488) < 1e-4);
  const o = getFigure("lost-data").plot(slices);
  assert.match(String(o.title), /^Share of page-pins whose release left data unsaved/);
  const marks = (o.marks ?? []).flat(Infinity as 1) as unknown as { data?: Record<string, unknown>[] }[];
  const dots = marks
    .flatMap((m) => m.data ?? [])
    .filter((d) => d && d.policy === "dirty-at-gup" && d.metric === "releases leaving data unsaved");
  const y = (x: number) => dots.find((d) => d.x === x) as { y: number; lo: number; hi: number };
  assert.ok(Math.abs(y(45).y - share(at45)) < 1e-12 && Math.abs(y(120).y - share(at120)) < 1e-12);
  assert.ok(y(120).y > y(45).y, "per pin: rises");
  // The band is the 95 % Wilson interval of the pooled counts (src/stats/wilson-interval.ts).
  const [lo, hi] = wilsonInterval(Math.round(1698.5 * 20), 2096 * 20);
  assert.ok(Math.abs(y(45).lo - lo) < 1e-12 && Math.abs(y(45).hi - hi) < 1e-12);
  const txt = renderFigure(slices, "lost-data", "txt");
  assert.match(txt, /^Share of page-pins whose release left data unsaved/);
  assert.match(txt, /dirty-at-gup +.*81 % \[81–81\]/);
  assert.match(renderFigure(slices, "lost-data", "svg"), /Share of page-pins whose release left data unsaved/);
  // The report's chart is the per-pin one, and its key numbers have the share per pin
  // (on the grid fixture: the report needs runs, which the slices leave out).
  const rep = report(loadResults(join(import.meta.dirname, "fixtures/plot/grid")));
  assert.match(rep, /Share of page-pins whose release left data unsaved/);
  assert.match(rep, /policy +unsaved\/pin/);
});

test("lost-data per run on request; another y is one line naming the allowed ones", () => {
  const txt = renderFigure(slices, "lost-data", "txt", { y: "per-run" });
  assert.match(txt, /^Lost data per run \(mean\) against pin duration/);
  assert.match(txt, /dirty-at-gup +68\.2 +417 +579 +706 +847 +472/);
  assert.throws(
    () => renderFigure(slices, "lost-data", "txt", { y: "per-page" }),
    (e: Error) =>
      e instanceof PlotInputError &&
      /invalid y for figure lost-data: per-page \(allowed: per-pin, per-run\)/.test(e.message),
  );
  assert.throws(() => renderFigure(slices, "false-positives", "txt", { y: "per-run" }), /has one quantity/);
});

test("lost-data: a policy that loses pages per run with no unsaved release is said, not left to read as safe", () => {
  // legacy-put-page's release always dirties the page; it loses 0.25–22 pages per run when
  // reclaim stripped the buffers and ext4-warn dropped the writeback. Per pin its share is 0.
  const txt = renderFigure(slices, "lost-data", "txt").replace(/\n {2}/g, " ");
  assert.match(txt, /pages lost per run though no release left data unsaved: legacy-put-page \(up to 22 pages\/run\)/);
});

test("the rules sit at E and E + P = 35.12 s at HZ 250, not E + W = 35 s", () => {
  // wb_wakeup_delayed arms msecs_to_jiffies(dirty_writeback_interval * 10) = 1250 jiffies at
  // HZ 250; the timer wheel files it at level 2 (64-jiffy grain) and rounds up to 1280
  // jiffies = 5.12 s (kupdatePeriod); E + P = 30 + 5.12.
  assert.equal(kupdatePeriod(5, 250), 5.12);
  for (const y of ["per-pin", "per-run"]) {
    const txt = renderFigure(slices, "lost-data", "txt", { y });
    assert.match(txt, /E \+ P = 35\.12 s/);
    assert.doesNotMatch(txt, /E \+ W/);
    const o = getFigure("lost-data").plot(slices, { y });
    assert.match(String(o.subtitle), /E \+ P = 35\.12 s \(P = 5\.12 s: W = 5 s in jiffies at HZ 250\)/);
    const rules = ((o.marks ?? []).flat(Infinity as 1) as unknown as { data?: { x: number; label?: string }[] }[])
      .flatMap((m) => m.data ?? [])
      .filter((d) => d && d.label === "E+P");
    assert.ok(rules.length > 0 && rules.every((r) => Math.abs(r.x - 35.12) < 1e-9));
  }
});
