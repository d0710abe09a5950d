/**
 * kernel-versions shows the time to the first BUG() as a panel and marks the releases whose
 * runs crashed, never drawing their lost data as 0 (issue 24): 4.14–5.15 BUG() on a dirty
 * page without buffers (ext4 before cc5095747edf, v5.18) and the run stops, so lost data,
 * counted at the end-of-run sync, is never measured there. The sweep records the crash
 * time as the metric crashedAt (null when the run reached its end).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadResults, summaryRow } from "../src/sweep/index.js";
import { getFigure, renderFigure, report } from "../src/plot/index.js";
import { simulate } from "../src/engine/simulate.js";
import { wilsonInterval } from "../src/stats/wilson-interval.js";

const kv = loadResults(join(import.meta.dirname, "fixtures/plot/kv"));
kv.dir = "test/fixtures/plot/kv";
const crashTimes = (k: string) => kv.runs.filter((r) => r.kernel === k).map((r) => r.crashedAt);

test("a run's crashedAt metric is its RunResult.crashedAt; the summary's _any counts every run", () => {
  const base = { ...(kv.manifest.config.base as object), kernel: "4.14", seed: 1 };
  const r = simulate(base as never);
  assert.equal(r.metrics.crashedAt, r.crashedAt);
  // Fixture kv: 4.14 replicate 0 stops at 151.8 s, replicate 1 reaches 300 s (null).
  const times = crashTimes("4.14");
  assert.equal(times.filter((t) => t === null).length, 1);
  const row = kv.summary.find((s) => s.kernel === "4.14")!;
  // One crash in two runs: share 1/2 with Wilson(1, 2); the mean is over the run that crashed.
  assert.equal(row.crashedAt_any, 0.5);
  assert.deepEqual([row.crashedAt_any_lo, row.crashedAt_any_hi], wilsonInterval(1, 2));
  assert.equal(
    row.crashedAt_mean,
    times.find((t) => t !== null),
  );
  // The same from summaryRow on hand-made rows: nulls are runs without a crash.
  const s = summaryRow({ kernel: "x" }, [
    { crashedAt: 10 },
    { crashedAt: null },
    { crashedAt: null },
    { crashedAt: 30 },
  ]);
  assert.equal(s.crashedAt_any, 0.5);
  assert.equal(s.crashedAt_mean, 20);
});

test("kernel-versions (fixture kv): a first-BUG panel, and crashed releases marked in every row", () => {
  const txt = renderFigure(kv, "kernel-versions", "txt");
  const line = (head: string) => txt.split("\n").find((l) => l.startsWith(head))!;
  // 4.14: one run of two hit BUG() at 151.8 s; 5.10 at 300 s (during the end-of-run sync).
  assert.match(line("first BUG (s)"), /^first BUG \(s\) +152 +300 +– +–$/);
  assert.match(line("runs hit BUG()"), /^runs hit BUG\(\) +1\/2 +1\/2 +0\/2 +0\/2$/);
  // Every count of 4.14 and 5.10 carries the mark, 6.1 and 6.6 none.
  assert.match(line("writebacks"), /^writebacks +\d+† +\d+† +\d+ +\d+$/);
  assert.match(line("lostData"), /^lostData +0† +0† +0 +0$/);
  const o = getFigure("kernel-versions").plot(kv);
  const data = ((o.marks ?? []).flat(Infinity as 1) as unknown as { data?: Record<string, unknown>[] }[]).flatMap(
    (m) => m.data ?? [],
  );
  const bug = data.find((d) => d?.metric === "crashedAt" && d.kernel === "4.14") as { y: number; share: string };
  assert.ok(Math.abs(bug.y - (crashTimes("4.14").find((t) => t !== null) as number)) < 1e-9);
  assert.equal(bug.share, "1/2");
  assert.match(String(o.caption), /ext4 BUG\(\) stopped runs of 4\.14 \(1 of 2 runs\), 5\.10 \(1 of 2\)/);
});

test("kernel-versions: a release whose every run hit BUG() shows BUG for lost data, never 0; so does the report", () => {
  // As the kernel-versions preset gives for 4.14–5.15 (20 of 20 runs each): here 4.14 with
  // both runs crashed.
  const all = structuredClone(kv);
  const r = all.summary.find((s) => s.kernel === "4.14")!;
  r.crashedAt_any = 1;
  const txt = renderFigure(all, "kernel-versions", "txt");
  assert.match(txt.split("\n").find((l) => l.startsWith("lostData"))!, /^lostData +BUG +0† +0 +0$/);
  assert.match(txt, /BUG: every run stopped before the end-of-run sync/);
  const svg = renderFigure(all, "kernel-versions", "svg");
  assert.match(svg, />BUG</);
  const o = getFigure("kernel-versions").plot(all);
  const data = ((o.marks ?? []).flat(Infinity as 1) as unknown as { data?: Record<string, unknown>[] }[]).flatMap(
    (m) => m.data ?? [],
  );
  assert.ok(!data.some((d) => d?.metric === "lostData" && d.kernel === "4.14" && d.text === undefined), "no dot at 0");
  const rep = report(all);
  assert.match(rep, /kernel 4\.14: lost data not measured: BUG\(\) in 2 of 2 runs/);
  assert.doesNotMatch(rep, /kernel 4\.14: lost data\/run 0/);
  assert.match(
    report(kv),
    /kernel 4\.14: lost data\/run 0; runs losing: 0 % \[0–66\]; BUG\(\) in 1 of\s+2 runs, at 152 s \(counted up to it\)/,
  );
});
