/**
 * Plot toolkit: golden SVG and text for every figure (from the fixture sweeps in
 * test/fixtures/plot), PNG decoding with text pixels where the labels are, the report,
 * and bad input. Refresh goldens with UPDATE_GOLDEN=1 npm test; a mismatch writes
 * test/output/plot/NAME.svg (or .txt) to look at.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { loadResults } from "../src/sweep/index.js";
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
} from "../src/plot/index.js";
import { main } from "../src/cli/index.js";
import { golden as goldenFile } from "./helpers/golden.js";

const here = new URL(".", import.meta.url).pathname;
const grid = loadResults(join(here, "fixtures/plot/grid"));
const fp = loadResults(join(here, "fixtures/plot/fp"));
// Goldens must not depend on where the checkout lives.
for (const t of [grid, fp]) t.dir = `test/fixtures/plot/${t.manifest.name.replace("fixture-", "")}`;

/** Plot's output with numbers rounded and ids re-indexed, so float noise does not fail a test. */
function normalise(svg: string): string {
  const ids = new Map<string, string>();
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${ids.get(id) ?? (ids.set(id, `id${ids.size}`), ids.get(id))}"`)
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
    assert.throws(() => goldenFile("plot/no-such-figure.txt", "x\n"), /golden file test\/golden\/plot\/no-such-figure\.txt is missing/);
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
  let off = 8, width = 0, height = 0, channels = 4;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString("ascii", off + 4, off + 8), data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "bit depth");
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : assert.fail(`colour type ${data[9]}`);
    } else if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      px[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  return { width, height, channels, px };
}

function darkPixels(img: ReturnType<typeof decodePng>, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const i = (y * img.width + x) * img.channels;
    if (img.px[i] < 128 && img.px[i + 1] < 128 && img.px[i + 2] < 128) n++;
  }
  return n;
}

test("PNG decodes at twice the SVG size, with text pixels where the labels are", () => {
  const svg = renderFigure(grid, "kernel-eras", "svg");
  const w = Number(/width="(\d+)"/.exec(svg)![1]), h = Number(/height="(\d+)"/.exec(svg)![1]);
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
  assert.match(out, /── a {2}══ b/);
  assert.match(out, /┴ bias − 3 = 61/);
});

test("report: question, parameters, a chart, key numbers with intervals, how to rerun", () => {
  const r = report(grid);
  for (const s of ["Question: Which pin and release policy", "Swept:", "pinDuration (5)", "Key numbers", "lost data/run", "Rerun:", "node bin/pinsim.js sweep fixture-grid", grid.manifest.configHash.slice(0, 12)]) {
    assert.ok(r.includes(s), `report lacks ${s}`);
  }
  assert.match(r, /\[\d+–\d+\]/, "Wilson intervals");
  for (const l of r.split("\n")) assert.ok([...l].length <= 72, `too wide: ${l}`);
  golden("report-grid", r, "txt");
});

// ---- bad input ------------------------------------------------------------------------------------

test("a figure without its axes: one line naming what is missing", () => {
  assert.equal(missingFor("lost-data", fp, getFigure("lost-data").needs), "figure lost-data needs sweep axis pinDuration; the results have bias, shareCount");
  assert.throws(() => renderFigure(fp, "lost-data-heatmap", "svg"), (e: Error) => e instanceof PlotInputError && /axes pinDuration, writebackInterval/.test(e.message) && !e.message.includes("\n"));
  assert.deepEqual(availableFigures(fp).map((f) => f.name), ["false-positives", "page-timeline"]);
  assert.throws(() => getFigure("pie"), /unknown figure pie; known: kernel-eras/);
});

async function cli(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const w = process.stderr.write.bind(process.stderr), o = process.stdout.write.bind(process.stdout);
  let err = "", out = "";
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
  const r = await cli(["plot", join(here, "fixtures/plot/fp"), "--figure", "false-positives", "--format", "svg,txt", "--out", out]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(out, "false-positives.svg")) && existsSync(join(out, "false-positives.txt")));
  assert.ok(!existsSync(join(out, "false-positives.png")));
});
