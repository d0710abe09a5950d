/**
 * Plot toolkit: golden SVG and text for every figure (from the fixture sweeps in
 * test/fixtures/plot), PNG decoding with text pixels where the labels are, the report,
 * and bad input. Refresh goldens with UPDATE_GOLDEN=1 npm test; a mismatch (or a missing
 * golden) writes test/golden/plot/NAME-changed.svg (or .txt) beside it to look at.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { loadResults, sweep } from "../src/sweep/index.js";
import type { ResultsTable } from "../src/sweep/types.js";
import {
  availableFigures,
  FIGURE_NAMES,
  getFigure,
  missingFor,
  plotSvg,
  renderFigure,
  report,
  svgToPng,
  textChart,
  PlotInputError,
  pageTimelineText,
  cleanDelayPlot,
  cleanDelayText,
  firstCrashPlot,
  firstCrashText,
  survivalSteps,
  pinnerGroupsPlot,
  pinnerGroupsText,
} from "../src/plot/index.js";
import { main } from "../src/cli/index.js";
import * as Plot from "@observablehq/plot";
import { JSDOM } from "jsdom";
import { UnsupportedPlotOption } from "../src/plot/svg.js";
import { tracePage } from "../src/plot/page-timeline.js";
import { DMA_WRITE_EVENT } from "../src/engine/simulate.js";
import { golden as goldenFile } from "./helpers/golden.js";

const here = new URL(".", import.meta.url).pathname;
const grid = loadResults(join(here, "fixtures/plot/grid"));
const fp = loadResults(join(here, "fixtures/plot/fp"));
const kv = loadResults(join(here, "fixtures/plot/kv"));
const fork = loadResults(join(here, "fixtures/plot/fork"));
// Goldens must not depend on where the checkout lives.
for (const t of [grid, fp, kv, fork]) t.dir = `test/fixtures/plot/${t.manifest.name.replace("fixture-", "")}`;

/** Plot's output with numbers rounded and ids re-indexed, so float noise does not fail a test. */
function normalise(svg: string): string {
  const ids = new Map<string, string>();
  return svg
    .replace(
      /\sid="([^"]+)"/g,
      (_, id: string) => ` id="${ids.get(id) ?? (ids.set(id, `id${ids.size}`), ids.get(id))}"`,
    )
    .replace(/#(pinsim-\d+)/g, (_, id: string) => `#${ids.get(id) ?? id}`)
    .replace(/-?\d+\.\d+/g, (x) => String(Math.round(Number(x) * 10) / 10))
    .replace(/></g, ">\n<");
}

/** test/golden/plot/NAME.EXT through the suite's one golden helper (missing fails, UPDATE_GOLDEN=1 rewrites). */
function golden(name: string, actual: string, ext: "svg" | "txt"): void {
  goldenFile(`plot/${name}.${ext}`, actual);
}

test("a missing golden file fails the test instead of being written silently", () => {
  // The helper must not turn a deleted golden into a pass (it did before: it wrote and returned).
  const saved = process.env.UPDATE_GOLDEN;
  delete process.env.UPDATE_GOLDEN;
  try {
    assert.throws(
      () => goldenFile("plot/no-such-figure.txt", "x\n"),
      /golden file test\/golden\/plot\/no-such-figure\.txt is missing/,
    );
    assert.ok(!existsSync(join(here, "golden/plot/no-such-figure.txt")), "nothing written under test/golden");
  } finally {
    if (saved !== undefined) process.env.UPDATE_GOLDEN = saved;
  }
});

const cases: [string, ResultsTable][] = [
  ["kernel-eras", grid],
  ["lost-data", grid],
  ["lost-data-heatmap", grid],
  ["double-writebacks", grid],
  ["page-timeline", grid],
  ["false-positives", fp],
  ["kernel-versions", kv],
  ["fork-copies", fork],
];

test("every figure is covered by a golden case", () => {
  assert.deepEqual([...cases.map((c) => c[0])].sort(), [...FIGURE_NAMES].sort());
});

for (const [name, table] of cases) {
  test(`${name}: SVG matches its golden`, () => {
    const svg = renderFigure(table, name, "svg");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(!svg.includes("<figure") && !svg.includes("<div"), "one standalone <svg>, legend inside");
    assert.ok(svg.includes(table.manifest.configHash.slice(0, 12)), "provenance: config hash in the caption");
    assert.ok(svg.includes("pinsim 0.1.0"), "provenance: version");
    golden(name, normalise(svg), "svg");
  });
  test(`${name}: text matches its golden and fits 72 columns`, () => {
    const txt = renderFigure(table, name, "txt");
    for (const line of txt.split("\n")) assert.ok([...line].length <= 72, `too wide: ${line}`);
    assert.ok(txt.includes("pinsim 0.1.0"), "provenance in the text");
    golden(name, txt, "txt");
  });
}

test("figures are deterministic (same SVG twice, whatever was rendered in between)", () => {
  const a = renderFigure(grid, "lost-data", "svg");
  renderFigure(grid, "kernel-eras", "svg");
  assert.equal(renderFigure(grid, "lost-data", "svg"), a);
});

test("renderFigure refuses `at` on an axis the figure draws, as `plot --at` does", () => {
  // lost-data draws pin duration on x (Figure.shows): holding it at one value would still
  // draw every pin duration, so the library says so instead of ignoring it.
  const pin = grid.summary[0].pinDuration;
  assert.throws(
    () => renderFigure(grid, "lost-data", "txt", { at: { pinDuration: pin } }),
    (e: Error) =>
      e instanceof PlotInputError && /invalid at for figure lost-data: pinDuration=.* x axis/.test(e.message),
  );
  // an axis it does not draw is held (writeback interval, a column of the heatmap, a slice here)
  const wb = grid.summary[0].writebackInterval;
  assert.doesNotThrow(() => renderFigure(grid, "lost-data", "txt", { at: { writebackInterval: wb } }));
});

test("figures return Plot options usable in notebooks", () => {
  const o = getFigure("false-positives").plot(fp);
  assert.ok(Array.isArray(o.marks) && o.marks.length > 0);
  assert.equal((o.x as { type?: string }).type, "log");
  assert.match(String(o.caption), /config [0-9a-f]{12}/);
});

test("the false-positive figure marks the predicted threshold bias − 3 for each bias", () => {
  const txt = renderFigure(fp, "false-positives", "txt");
  for (const b of [16, 64, 256]) assert.ok(txt.includes(`bias − 3 = ${b - 3}`));
});

// ---- PNG --------------------------------------------------------------------------------------

/** Minimal PNG reader (8-bit RGB/RGBA, non-interlaced): what resvg writes. */
function decodePng(png: Uint8Array): { width: number; height: number; channels: number; px: Uint8Array } {
  const buf = Buffer.from(png);
  assert.equal(buf.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "PNG signature");
  let off = 8,
    width = 0,
    height = 0,
    channels = 4;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off),
      type = buf.toString("ascii", off + 4, off + 8),
      data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "bit depth");
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : assert.fail(`colour type ${data[9]}`);
    } else if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)),
    stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)],
      line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0,
        b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c,
        pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const pred =
        f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      px[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  return { width, height, channels, px };
}

function darkPixels(img: ReturnType<typeof decodePng>, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * img.channels;
      if (img.px[i] < 128 && img.px[i + 1] < 128 && img.px[i + 2] < 128) n++;
    }
  return n;
}

test("PNG decodes at twice the SVG size, with text pixels where the labels are", () => {
  const svg = renderFigure(grid, "kernel-eras", "svg");
  const w = Number(/width="(\d+)"/.exec(svg)![1]),
    h = Number(/height="(\d+)"/.exec(svg)![1]);
  const img = decodePng(svgToPng(svg));
  assert.equal(img.width, 2 * w);
  assert.equal(img.height, 2 * h);
  // Title (top left, 14 px bold), caption (bottom left), a row label (left margin).
  assert.ok(darkPixels(img, 0, 0, 400, 40) > 200, "title text drawn");
  assert.ok(darkPixels(img, 0, img.height - 40, 600, img.height) > 100, "caption text drawn");
  assert.ok(darkPixels(img, 0, 240, 320, img.height - 60) > 500, "metric labels drawn");
  // Background stays white away from the text: the right of the legend row.
  assert.equal(darkPixels(img, img.width - 200, 0, img.width, 60), 0);
});

test("PNG text needs the bundled font: with no text, the label area is blank", () => {
  const blank = decodePng(svgToPng(plotSvg({ title: " ", marks: [], width: 200, height: 60 })));
  const titled = decodePng(svgToPng(plotSvg({ title: "Lost data", marks: [], width: 200, height: 60 })));
  assert.equal(darkPixels(blank, 0, 0, 400, 40), 0);
  assert.ok(darkPixels(titled, 0, 0, 400, 40) > 50);
});

// ---- text chart, report -----------------------------------------------------------------------

test("textChart: 72 columns, x ticks, legend, threshold marks", () => {
  const out = textChart({
    title: "t",
    x: [1, 10, 100, 1000],
    logX: true,
    series: [
      { name: "a", values: [0, 1, 2, 3] },
      { name: "b", values: [3, null, 1, 0] },
    ],
    marks: [{ x: 61, label: "bias − 3 = 61" }],
  });
  golden("text-chart", out, "txt");
  for (const l of out.split("\n")) assert.ok([...l].length <= 72);
  assert.match(out, /●· a {2}○- b/);
  assert.match(out, /┴ bias − 3 = 61/);
});

test("textChart: a small non-zero series is never hidden on the axis row (issue 13)", () => {
  // The input that showed it: lost data per run 0–850 for dirty-at-gup, 0.4 for a policy that
  // loses a page now and then. 0.4 is 0.05 % of the range: asciichart put it on the 0 row,
  // where it read as "never loses data".
  const out = textChart({
    x: [5, 20, 45, 120],
    series: [
      { name: "dirty-at-gup", values: [100, 400, 850, 850] },
      { name: "rare", values: [0, 0.4, 0.4, 0] },
    ],
  });
  const rows = out.split("\n").filter((l) => /[┤┼]/.test(l));
  const zeroRow = rows.at(-1)!,
    above = rows.at(-2)!;
  // 0.4 at x = 20 and 45: the second marker (○) on the row above zero, twice.
  assert.equal([...above].filter((c) => c === "○").length, 2, out);
  assert.equal([...zeroRow].filter((c) => c === "○").length, 2, "the two true zeros stay on the 0 row");
  // The chart says which points it lifted, with their real values (issue 24).
  assert.match(out.replace(/\n {2}/g, " "), /lifted off the 0 row\), real values: rare 0\.4 at x = 20, 0\.4 at 45/);
});

test("textChart: coinciding series are drawn as # and named, not overwritten (issue 13)", () => {
  // foll-pin and keep-dirty both lose nothing: before, the later series overwrote the earlier.
  const out = textChart({
    x: [1, 10, 100],
    series: [
      { name: "foll-pin", values: [0, 0, 0] },
      { name: "keep-dirty", values: [0, 0, 0] },
      { name: "dirty-at-gup", values: [0, 5, 9] },
    ],
  });
  assert.match(out, /# at x = 10, 100: foll-pin, keep-dirty coincide/);
  assert.match(
    out,
    /# at every x: foll-pin, keep-dirty coincide|# at x = 1: foll-pin, keep-dirty, dirty-at-gup coincide/,
  );
  for (const l of out.split("\n")) assert.ok([...l].length <= 72, l);
  assert.throws(
    () => textChart({ x: [1], series: Array.from({ length: 11 }, (_, i) => ({ name: String(i), values: [i] })) }),
    /11 series, at most 10/,
  );
});

test("plotSvg: a symbol legend is drawn beside the plot, not instead of it (issue 13)", () => {
  // The input that showed it: Plot returns <figure><div swatches><svg 15×15>…</div><svg plot>;
  // the first <svg> found was a legend swatch, so the figure was one 15×15 symbol.
  const data = [
    { x: 1, y: 1, k: "foll-pin" },
    { x: 2, y: 3, k: "keep-dirty" },
  ];
  const svg = plotSvg({
    symbol: { legend: true },
    width: 400,
    height: 200,
    marks: [Plot.dot(data, { x: "x", y: "y", symbol: "k" })],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400" height="2\d\d"/);
  assert.ok(svg.includes(">foll-pin</text>") && svg.includes(">keep-dirty</text>"), "legend labels");
  assert.equal((svg.match(/<svg /g) ?? []).length, 1 + 2 + 1, "outer svg, two swatches, the plot");
  assert.equal((svg.match(/aria-label="dot"/g) ?? []).length, 1, "the dots are there");
});

test("plotSvg: an opacity legend is a ramp (Plot's needs a canvas and threw)", () => {
  const data = [
    { x: 1, y: 1, o: 2 },
    { x: 2, y: 3, o: 10 },
  ];
  const svg = plotSvg({
    opacity: { legend: true, label: "share" },
    marks: [Plot.dot(data, { x: "x", y: "y", fillOpacity: "o", fill: "black" })],
  });
  assert.match(svg, /<linearGradient id="pinsim-\d+">/);
  assert.match(svg, /stop-opacity="0"/);
  assert.ok(svg.includes(">share</text>"));
});

test("plotSvg: fixed tips render; pointer tips are refused with one line (issue 13)", () => {
  const data = [
    { x: 1, y: 1, k: "a" },
    { x: 2, y: 3, k: "b" },
  ];
  const svg = plotSvg({
    marks: [Plot.dot(data, { x: "x", y: "y" }), Plot.tip([data[0]], { x: "x", y: "y", title: "k" })],
  });
  const tip = /<g aria-label="tip"[^>]*>[\s\S]*?<\/g>/.exec(svg)?.[0] ?? "";
  assert.ok(tip && !tip.includes("visibility"), "the tip is not left hidden");
  assert.match(tip, /<path[^>]* d="M0,0l6,-6h/, "its box is laid out");
  assert.match(tip, /fill="white"/, "no CSS variable for resvg to paint black");
  for (const o of [
    { marks: [Plot.dot(data, { x: "x", y: "y", tip: true })] },
    { marks: [Plot.tip(data, Plot.pointer({ x: "x", y: "y" }))] },
  ]) {
    assert.throws(
      () => plotSvg(o),
      (e: Error) =>
        e instanceof UnsupportedPlotOption && /follows the pointer/.test(e.message) && !e.message.includes("\n"),
    );
  }
  assert.throws(() => plotSvg({ r: { legend: true }, marks: [] } as never), /r: \{ legend \} is not supported/);
});

test("page timeline: the first DMA write into a clean page is marked at that write's own instant (issue 13)", () => {
  // The input that showed it: notebook 03's workload. Device writes are applied lazily, so
  // writeToCleanPage is counted at the page's next event (1.9 s later there); the trace has
  // each write as a dma-write row at its own time, and the rule must sit on that row.
  const tl = tracePage({
    policy: "foll-pin",
    pinDuration: 60,
    writebackInterval: 5,
    dirtyExpire: 30,
    duration: 600,
    files: 8,
    pagesPerFile: 16,
    pinners: 4,
    pagesPerPin: 4,
    reclaimRate: 0.002,
  });
  assert.notEqual(tl.focus, null);
  const i = tl.trace.findIndex((r) => r.t === tl.focus);
  const row = tl.trace[i]!,
    before = tl.trace[i - 1]!;
  assert.equal(row.event, DMA_WRITE_EVENT);
  assert.ok(row.mem > before.mem && !before.dirty, "a write that made a clean page newer than disk");
  // No earlier clean write in the trace.
  assert.ok(
    !tl.trace
      .slice(1, i)
      .some((r, j) => r.event === DMA_WRITE_EVENT && r.mem > tl.trace[j]!.mem && !tl.trace[j]!.dirty),
  );
  assert.ok(pageTimelineText(tl).includes(`${tl.focus!.toFixed(3)}  DMA write into a clean page`));
});

// ---- figures of runs: clean delays, first crash, mixed pinners (synthetic fixtures) -----------

/** Documented shape of result.cleanDelays (interfaces.md); E = 30 s, P = 5.12 s (W = 5 s at HZ = 250). */
const cleanDelays = {
  period: 5.12,
  expire: 30,
  cleanInode: {
    count: 40,
    min: 30.1,
    max: 35,
    mean: 32.5,
    fractionInWindow: 1,
    histogram: { start: 0, binWidth: 1, counts: [...Array(30).fill(0), 8, 9, 8, 7, 8] },
  },
  dirtyInode: {
    count: 25,
    min: 0.3,
    max: 31.5,
    mean: 9,
    fractionInWindow: 0.08,
    histogram: {
      start: 0,
      binWidth: 1,
      counts: [5, 4, 3, 2, 2, 1, 1, 1, 0, 1, 0, 1, 1, 1, ...Array(16).fill(0), 1, 1],
    },
  },
};
/** Documented shape of result.groups (coverage work): three callers of one run. */
const groups = [
  {
    caller: "io_uring",
    pinsTaken: 400,
    pinsCompleted: 390,
    releasesUnsaved: 0,
    lostData: 0,
    writeToCleanPage: 12,
    pinsWithWriteToCleanPage: 10,
  },
  {
    caller: "rdma",
    pinsTaken: 120,
    pinsCompleted: 100,
    releasesUnsaved: 43,
    lostData: 40,
    writeToCleanPage: 300,
    pinsWithWriteToCleanPage: 88,
  },
  {
    caller: "o_direct",
    pinsTaken: 2000,
    pinsCompleted: 2000,
    releasesUnsaved: 1,
    lostData: 1,
    writeToCleanPage: 0,
    pinsWithWriteToCleanPage: 0,
  },
];
const crashes = [
  { name: "legacy-put-page", crashedAt: [120, 340, null, 800, 95], duration: 1800 },
  { name: "foll-pin", crashedAt: [null, null, null, null, null], duration: 1800 },
  { name: "put-user-pages-dirty", crashedAt: [60, 70, 1500, null, 200], duration: 1800 },
];

test("clean-delay histogram: SVG and text golden; the [E, E + P) window is drawn and its bins marked", () => {
  const svg = plotSvg(cleanDelayPlot(cleanDelays));
  golden("clean-delay", normalise(svg), "svg");
  assert.ok(svg.includes(">E+P</text>") && svg.includes("[E, E + P) = [30,"), "the window: rules and subtitle");
  const txt = cleanDelayText(cleanDelays);
  golden("clean-delay", txt, "txt");
  for (const l of txt.split("\n")) assert.ok([...l].length <= 72, l);
  // Bins 30–31 … 34–35 lie inside [30, 35.12): five marked rows for the clean inodes, and the
  // dirty inodes' two late pages (30–31, 31–32) too; a bin of one page is still a bar.
  assert.equal((txt.match(/◄$/gm) ?? []).length, 5 + 2);
  assert.match(txt, /^ +9–10 █+ +1$/m);
});

test("time to the first crash: SVG and text golden; Wilson share per policy", () => {
  golden("first-crash", normalise(plotSvg(firstCrashPlot(crashes))), "svg");
  const txt = firstCrashText(crashes);
  golden("first-crash", txt, "txt");
  // 4 of 5 runs crashed: Wilson 95 % [0.376, 0.964] (Newcombe 1998, method 3), printed as 38–96.
  assert.match(txt, /legacy-put-page +4\/5 +80 % \[38–96\] +95 +230/);
  assert.match(txt, /foll-pin +0\/5 +0 % \[0–43\] +– +–/);
  assert.deepEqual(
    survivalSteps(crashes[0]!).map((s) => s.up),
    [1, 0.8, 0.6, 0.4, 0.2, 0.2],
  );
});

test("mixed pinners: per-caller bars, SVG and text golden, Wilson intervals", () => {
  const svg = plotSvg(pinnerGroupsPlot(groups));
  golden("pinner-groups", normalise(svg), "svg");
  // A 0 is labelled, not left as an invisible zero-width bar.
  assert.ok(svg.includes("0 % (0/390)") && svg.includes("43 % (43/100)"));
  const txt = pinnerGroupsText(groups);
  golden("pinner-groups", txt, "txt");
  // rdma: 43 of 100 pins lost data. Wilson, z = 1.96: centre (43 + 1.92)/103.84 = 0.4326,
  // half-width 1.96·sqrt(0.43·0.57/100 + 1.96²/40000)/1.0384 = 0.0953 → [0.337, 0.528] → 34–53.
  assert.match(txt, /rdma +100 +43 % \[34–53\] +88 % \[80–93\]/);
  assert.throws(
    () => pinnerGroupsText([{ ...groups[0]!, pinsCompleted: -1 }]),
    /group "io_uring" has pinsCompleted = -1/,
  );
});

test("report: question, parameters, a chart, key numbers with intervals, how to rerun", () => {
  const r = report(grid);
  for (const s of [
    "Question: Which pin and release policy",
    "Swept:",
    "pinDuration (5)",
    "Key numbers",
    "lost data/run",
    "Rerun (config ",
    "cfg=$(mktemp -d)/fixture-grid.sweep.json &&",
    'node bin/pinsim.js sweep "$cfg"',
    grid.manifest.configHash.slice(0, 12),
  ]) {
    assert.ok(r.includes(s), `report lacks ${s}`);
  }
  assert.match(r, /\[\d+–\d+\]/, "Wilson intervals");
  for (const l of r.split("\n")) assert.ok([...l].length <= 72, `too wide: ${l}`);
  golden("report-grid", r, "txt");
});

// The fork-copies preset's report (a tester's): only copies per fork, then a line of "lost
// data/run –; runs losing: –" per point (anonymous memory is never written back to a file,
// so lost data is measured nowhere). Now: copies and needless copies per fork, a row per
// kernel preset, and no line of a metric the sweep does not measure.
test("report of a fork sweep: copies and needless copies per fork per kernel, no lost-data lines", () => {
  const r = report(fork);
  assert.doesNotMatch(r, /lost data/, "no row of a metric no run measured");
  assert.match(r, /^kernel +1 +1020 +1023 +1024 +2048$/m, "a column per share count");
  const needless = r.slice(r.search(/needless copies per fork/i));
  assert.ok(needless.length < r.length, r);
  const row = (k: string) =>
    new RegExp(`^ *${k.replace(".", "\\.")} +(.*)$`, "m").exec(needless)?.[1]?.trim().split(/ +/) ?? [];
  // 4.19: fork shares a pinned page COW, copies nothing (copy_present_pte's copy came with
  // 5.9's MMF_HAS_PINNED). 6.6: from 5.19 only a PG_anon_exclusive page is asked, and sharing
  // makes it not exclusive: no needless copy. 5.15: folio_maybe_dma_pinned counts every
  // mapping towards GUP_PIN_COUNTING_BIAS (1024), so from 1024 shares unpinned pages are copied.
  assert.deepEqual(row("4.19"), ["0", "0", "0", "0", "0"]);
  assert.deepEqual(row("6.6"), ["0", "0", "0", "0", "0"]);
  const r515 = row("5.15").map(Number);
  assert.deepEqual(r515.slice(0, 3), [0, 0, 0]);
  assert.ok(r515[3]! > 0 && r515[4]! > 0, `5.15 copies needlessly from 1024 shares: ${r515}`);
  for (const l of r.split("\n")) assert.ok([...l].length <= 72, `too wide: ${l}`);
});

// The preset's figure drew all copies only: the needless ones (the detector's false
// positives at fork, what issue 22 asks about) could not be told from the pinned pages
// fork must copy. Now they are dashed, only for kernels that made any: 5.10 and 5.15
// (MMF_HAS_PINNED copying, 5.9, counting every mapping towards GUP_PIN_COUNTING_BIAS =
// 1024, until PG_anon_exclusive in 5.19), and the text figure gives their table.
test("fork-copies: the needless copies are drawn dashed for the kernels that made them", () => {
  const o = getFigure("fork-copies").plot(fork);
  const marks = (o.marks ?? []) as unknown as { data?: { kernel: string; y: number }[]; channels?: unknown }[];
  const dashed = marks.find((m) => JSON.stringify(m).includes("5,3"));
  assert.ok(dashed?.data, "a dashed line mark");
  const kernels = [...new Set(dashed.data.map((p) => p.kernel))].sort();
  assert.deepEqual(
    kernels,
    ["5.10", "5.15"].filter((k) => fork.summary.some((r) => r.kernel === k)),
  );
  assert.ok(dashed.data.some((p) => p.y > 0));
  assert.match(String(o.subtitle), /Dashed: the needless copies/);
  const txt = getFigure("fork-copies").text(fork);
  assert.match(txt, /^needless copies per fork \(of them, pages no FOLL_PIN held\):$/m);
  // The needless figure itself draws no second line.
  const n = getFigure("fork-copies").plot(fork, { y: "needless" });
  assert.equal(((n.marks ?? []) as unknown[]).filter((m) => JSON.stringify(m).includes("5,3")).length, 0);
});

// Held at the kernel axis's first value (4.19: no detector at all) the preset's
// false-positives figure was "(no data)"; a swept kernel is one line each now.
test("false-positives on a sweep with a kernel axis: a line per kernel preset, not one held at 4.19", () => {
  const txt = getFigure("false-positives").text(fork);
  assert.doesNotMatch(txt, /\(no data\)/);
  assert.doesNotMatch(txt, /at kernel=/);
  // 4.19 has no detector check (no rate: left out); 5.15 first reports a pin at 1024 shares
  // (>= GUP_PIN_COUNTING_BIAS), 6.6 never (PG_anon_exclusive, 5.19).
  assert.match(txt, /^kernel 5\.15 +1021 +1024 /m);
  assert.match(txt, /^kernel 6\.6 +1021 +none /m);
  assert.doesNotMatch(txt, /kernel 4\.19/);
});

// ---- bad input ------------------------------------------------------------------------------------

test("a figure without its axes: one line naming what is missing", () => {
  assert.equal(
    missingFor("lost-data", fp, getFigure("lost-data").needs),
    "figure lost-data needs sweep axis pinDuration; the results have bias, shareCount",
  );
  assert.throws(
    () => renderFigure(fp, "lost-data-heatmap", "svg"),
    (e: Error) =>
      e instanceof PlotInputError && /axes pinDuration, writebackInterval/.test(e.message) && !e.message.includes("\n"),
  );
  assert.deepEqual(
    availableFigures(fp).map((f) => f.name),
    ["false-positives", "page-timeline"],
  );
  assert.throws(() => getFigure("pie"), /unknown figure pie; known: kernel-eras/);
});

async function cli(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const w = process.stderr.write.bind(process.stderr),
    o = process.stdout.write.bind(process.stdout);
  let err = "",
    out = "";
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    return { code: await main(["node", "pinsim", ...args]), err, out };
  } finally {
    process.stderr.write = w;
    process.stdout.write = o;
  }
}

test("CLI bad input: missing, empty, another version, missing axes, bad format → one line, exit 2", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "pinsim-plot-"));
  const other = join(tmp, "other");
  cpSync(join(here, "fixtures/plot/fp"), other, { recursive: true });
  const m = JSON.parse(readFileSync(join(other, "manifest.json"), "utf8"));
  writeFileSync(join(other, "manifest.json"), JSON.stringify({ ...m, pinsim: "pinsim 9.1.0" }));
  mkdirSync(join(tmp, "empty"));
  const fpDir = join(here, "fixtures/plot/fp");
  for (const [args, re] of [
    [["plot", join(tmp, "nope")], /no such results directory/],
    [["report", join(tmp, "empty")], /no manifest\.json/],
    [["plot", other], /pinsim 9\.1\.0/],
    [["plot", fpDir, "--figure", "lost-data", "--out", tmp], /figure lost-data needs sweep axis pinDuration/],
    [["plot", fpDir, "--format", "gif"], /invalid --format: gif/],
    [["plot", fpDir, "--figure", "pie"], /unknown figure pie/],
  ] as [string[], RegExp][]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split("\n").length, 1, `one line: ${r.err}`);
  }
});

test("CLI plot writes the figures the results have, in every format", async () => {
  const out = mkdtempSync(join(tmpdir(), "pinsim-plot-out-"));
  const r = await cli([
    "plot",
    join(here, "fixtures/plot/fp"),
    "--figure",
    "false-positives",
    "--format",
    "svg,txt",
    "--out",
    out,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(out, "false-positives.svg")) && existsSync(join(out, "false-positives.txt")));
  assert.ok(!existsSync(join(out, "false-positives.png")));
});

// ---- every faceted figure: marks inside the shared y domain, the axis labelled up to them ----

/** Values a mark draws on y: its y, y1 and y2 channels, read from its data (field names, or a stack's source field). */
function yValues(mark: Record<string, unknown>): number[] {
  const data = mark.data as Record<string, unknown>[] | undefined;
  const channels = (mark.channels ?? {}) as Record<string, { value: unknown; scale?: string }>;
  if (!Array.isArray(data)) return [];
  const out: number[] = [];
  for (const [name, ch] of Object.entries(channels)) {
    if (ch.scale !== "y" || !/^y[12]?$/.test(name)) continue;
    const field = typeof ch.value === "string" ? ch.value : (ch.value as { label?: string } | null)?.label;
    if (typeof field !== "string") continue;
    for (const d of data) if (typeof d[field] === "number") out.push(d[field] as number);
  }
  return out;
}

/** Every continuous-y figure with panels (fy facets): its Plot options. */
function facetedFigures(): [string, Plot.PlotOptions & { y?: Record<string, unknown> }][] {
  const all: [string, Plot.PlotOptions & { y?: Record<string, unknown> }][] = [
    ...cases.map(([name, table]) => [name, getFigure(name).plot(table)] as [string, Plot.PlotOptions]),
    ["clean-delay", cleanDelayPlot(cleanDelays)],
    ["pinner-groups", pinnerGroupsPlot(groups)],
  ];
  const marks = (o: Plot.PlotOptions) => (o.marks ?? []).flat(Infinity as 1) as unknown as Record<string, unknown>[];
  return all.filter(([, o]) => marks(o).some((m) => m.fy !== undefined && m.fy !== null));
}

test("every faceted figure draws every mark inside its panels' y domain, below the top tick, off the top frame", () => {
  const doc = new JSDOM("").window.document;
  const checked: string[] = [];
  for (const [name, o] of facetedFigures()) {
    const { title: _t, subtitle: _s, caption: _c, ...rest } = o as Record<string, unknown>;
    // Legends off: Plot draws a ramp legend on a canvas, which jsdom has not (plotSvg draws its own).
    const noLegends = Object.fromEntries(
      ["color", "opacity", "symbol"].filter((k) => rest[k]).map((k) => [k, { ...(rest[k] as object), legend: false }]),
    );
    const el = Plot.plot({
      ...(rest as Plot.PlotOptions),
      ...noLegends,
      document: doc as unknown as Document,
    }) as unknown as Plot.Plot;
    const y = el.scale("y");
    if (!y || !["linear", "symlog", "log", "pow", "sqrt"].includes(String(y.type))) continue; // band rows: nothing to clip
    checked.push(name);
    const [d0, d1] = (y.domain as number[]).map(Number);
    const ticks = ((o.y as { ticks?: number[] } | undefined)?.ticks ?? []) as number[];
    const values = ((o.marks ?? []).flat(Infinity as 1) as unknown as Record<string, unknown>[]).flatMap(yValues);
    assert.ok(values.length > 0, `${name}: marks with y values`);
    const max = Math.max(...values);
    for (const v of values)
      assert.ok(v >= d0 && v < d1, `${name}: ${v} outside [${d0}, ${d1}) (on or past the top frame)`);
    // The axis is read up to the data: a labelled tick at the top of the domain, above every value.
    assert.ok(
      ticks.length > 0 && ticks[ticks.length - 1] === d1 && ticks[ticks.length - 1] > max,
      `${name}: ticks ${ticks} stop short of ${max}`,
    );
  }
  // lost-data, double-writebacks, kernel-versions (one panel per policy or metric), clean-delay (per population).
  assert.deepEqual(checked.sort(), ["clean-delay", "double-writebacks", "kernel-versions", "lost-data"]);
});

test("kernel-versions at the real sweep's magnitudes: 55k and 57k drawn under a 100k tick, not on the frame under 10k", () => {
  // The kernel-versions preset's 6.1–6.18 means: writebacks ≈ 55,000, pinsTaken ≈ 57,500 with
  // upper interval ends ≈ 57,961, doubleWritebacks ≈ 17,600. The first power of ten at least
  // 1.5 × 57,961 = 86,942 is 100,000: the domain is [0, 1e5] with a tick at every decade.
  const big = structuredClone(kv);
  // The releases of the real sweep's magnitudes: 4.14, whose first run stops at 152 s, has a
  // t interval as wide as its mean and would scale far past them.
  big.summary = big.summary.filter((r) => r.kernel !== "4.14");
  for (const r of big.summary)
    for (const k of ["writebacks", "pinsTaken", "doubleWritebacks"] as const) {
      const scale = { writebacks: 55000, pinsTaken: 57500, doubleWritebacks: 17600 }[k] / Number(r[`${k}_mean`] || 1);
      for (const s of ["mean", "lo", "hi"]) r[`${k}_${s}`] = Number(r[`${k}_${s}`]) * scale;
    }
  const o = getFigure("kernel-versions").plot(big);
  assert.deepEqual((o.y as { domain: number[] }).domain, [0, 100000]);
  assert.deepEqual((o.y as { ticks: number[] }).ticks, [0, 1, 10, 100, 1000, 10000, 100000]);
  // In the SVG no dot sits on its panel's top edge: the frame's y (26) plus Plot's facet offset.
  const svg = plotSvg(o);
  const frameTop = Number(/aria-label="frame">\s*<rect[^>]* y="([\d.]+)"/.exec(svg)![1]);
  const cys = [...svg.matchAll(/<circle[^>]* cy="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(cys.length > 0);
  // symlog: y(v) ∝ ln(1 + v); ln(1 + 57961)/ln(1 + 1e5) = 0.953, so the highest dot is ≥ 4 % of
  // the 158 px panel (≈ 7 px) below its top edge.
  for (const cy of cys) assert.ok(cy > frameTop + 5, `a dot at cy ${cy} on the top frame (${frameTop})`);
});

test("panelY: decades to the first power of ten ≥ 1.5 × the largest value; round linear steps to ≥ 1.05 × it", async () => {
  const { panelY } = await import("../src/plot/figure.js");
  // 1.5 × 57,961 = 86,942 → 1e5; 1.5 × 1,236 = 1,854 → 1e4; all zero: 0 to 1.
  assert.deepEqual(panelY([0, 17632, 57961], "symlog"), {
    type: "symlog",
    domain: [0, 1e5],
    ticks: [0, 1, 10, 100, 1000, 1e4, 1e5],
  });
  assert.deepEqual(panelY([1236], "symlog").domain, [0, 1e4]);
  assert.deepEqual(panelY([0], "symlog").domain, [0, 1]);
  // 1.05 × 137 = 143.85, a fifth of it 28.8 → step 50 (1, 2, 2.5, 5 × 10^k), top ⌈143.85/50⌉ × 50 = 150.
  assert.deepEqual(panelY([3, 137], "linear"), { type: "linear", domain: [0, 150], ticks: [0, 50, 100, 150] });
  // 1.05 × 100 = 105, /5 = 21 → step 25, top 125: a value on a round number is not on the frame.
  assert.deepEqual(panelY([100], "linear").domain, [0, 125]);
  // 1.05 × 0.034 = 0.0357, /5 = 0.00714 → step 0.01, top 0.04.
  assert.deepEqual(panelY([0.034], "linear").ticks, [0, 0.01, 0.02, 0.03, 0.04]);
  assert.deepEqual(panelY([0, 0], "linear").domain, [0, 1]);
});

test("an interrupted sweep: report and plot refuse it unless --partial, then every artifact says PARTIAL: N of M points", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "pinsim-partial-"));
  const dir = join(tmp, "cut");
  // 2 policies × 3 pin durations = 6 points, 2 seeds each; stopped (as a SIGKILL would) after 7 runs.
  const config = {
    name: "cut",
    base: { files: 4, pagesPerFile: 8, pinners: 2, duration: 60 },
    axes: { policy: ["foll-pin", "keep-dirty"], pinDuration: [2, 10, 40] },
    seeds: 2,
    rootSeed: 1,
  };
  let runs = 0;
  await assert.rejects(
    sweep(config, {
      out: dir,
      workers: 0,
      snapshotIntervalMs: 0,
      onProgress: () => {
        if (++runs === 7) throw new Error("stop");
      },
    }),
    /stop/,
  );
  // What the directory holds: N finished points (at most the 3 that 7 runs of 2 seeds finish) of the grid's 6.
  const n = loadResults(dir).summary.length;
  assert.ok(n >= 1 && n <= 3, `finished points ${n}`);
  const note = `PARTIAL: ${n} of 6 points`;
  for (const cmd of ["report", "plot"]) {
    const r = await cli([cmd, dir]);
    assert.equal(r.code, 2, `${cmd}: ${r.err}`);
    assert.equal(r.err.trimEnd().split("\n").length, 1, r.err);
    assert.match(r.err, new RegExp(`holds only ${n} of 6 points of sweep cut .*pass --partial`));
  }
  const r = await cli(["report", dir, "--partial"]);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.replace(/\s+/g, " ").includes(note), "the report's provenance says it");
  const lines = r.out.split("\n");
  assert.ok(
    lines.slice(0, 3).some((l) => l.startsWith(note)),
    `the header says it: ${lines.slice(0, 3).join(" / ")}`,
  );
  assert.match(r.out, new RegExp(`${n} of 6 points × 2 seeds = ${loadResults(dir).runs.length}\\s+runs`)); // wrapped at 72
  // Swept: the config's axes, every value, not only the finished ones (the report showed only those).
  assert.match(r.out, /^ {2}policy \(2\): foll-pin, keep-dirty$/m);
  assert.match(r.out, /^ {2}pinDuration \(3\): 2, 10, 40$/m);
  const out = join(tmp, "figs");
  const p = await cli(["plot", dir, "--partial", "--format", "svg,txt", "--out", out]);
  assert.equal(p.code, 0, p.err);
  for (const f of ["lost-data", "kernel-eras"]) {
    for (const ext of ["svg", "txt"])
      assert.ok(readFileSync(join(out, `${f}.${ext}`), "utf8").includes(note), `${f}.${ext} says ${note}`);
  }
});
