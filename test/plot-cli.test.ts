/**
 * `pinsim plot --at key=value … --y per-pin|per-run` (issue 24): what the axes a figure does
 * not show are held at, and the quantity on y, from the command line; bad values one line,
 * exit 2, naming the key or value and the allowed ones.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "../src/cli/index.js";
import { FIGURES } from "../src/plot/index.js";
import { BIN } from "./helpers/cli.js";

const GRID = join(import.meta.dirname, "fixtures/plot/grid");
const FP = join(import.meta.dirname, "fixtures/plot/fp");

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

test("plot --at holds the other axes where asked and --y picks the quantity", async () => {
  const out = mkdtempSync(join(tmpdir(), "pinsim-plot-at-"));
  const base = ["plot", GRID, "--format", "txt", "--out", out];
  let r = await cli([...base, "--figure", "lost-data", "double-writebacks", "--at", "writebackInterval=20"]);
  assert.equal(r.code, 0, r.err);
  const perPin = readFileSync(join(out, "lost-data.txt"), "utf8");
  assert.match(perPin, /^Share of page-pins whose release left data unsaved/);
  assert.match(perPin, /at writebackInterval=20\n/);
  // double-writebacks shows writebackInterval: --at on it is ignored there, pinDuration stays at its default slice.
  assert.match(readFileSync(join(out, "double-writebacks.txt"), "utf8"), /at pinDuration=100\n/);
  r = await cli([...base, "--figure", "lost-data", "--at", "writebackInterval=20", "--y", "per-run"]);
  assert.equal(r.code, 0, r.err);
  const perRun = readFileSync(join(out, "lost-data.txt"), "utf8");
  assert.match(perRun, /^Lost data per run \(mean\)/);
  assert.match(perRun, /at writebackInterval=20\n/);
  // Two axes held, one a text axis: policy=foll-pin for the false-positive-free kernel-eras? No:
  // kernel-eras shows policy; hold pinDuration and writebackInterval both.
  r = await cli([...base, "--figure", "kernel-eras", "--at", "pinDuration=30", "--at", "writebackInterval=2"]);
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(join(out, "kernel-eras.txt"), "utf8"), /at pinDuration=30, writebackInterval=2\n/);
});

test("plot --at and --y: bad keys and values are one line, exit 2, naming the allowed ones", async () => {
  const out = mkdtempSync(join(tmpdir(), "pinsim-plot-at-bad-"));
  const base = ["plot", GRID, "--format", "txt", "--out", out];
  for (const [args, re] of [
    [["--at", "writebackInterval=7"], /^invalid --at writebackInterval=7 \(allowed: 2, 5, 20\)$/],
    [["--at", "hz=250"], /^invalid --at key: hz \(allowed: policy, pinDuration, writebackInterval\)$/],
    [["--at", "writebackInterval"], /^invalid --at: "writebackInterval" \(expected key=value/],
    [["--at", "policy=nope"], /^invalid --at policy=nope \(allowed: legacy-put-page, .*mmu-notifier\)$/],
    [
      ["--at", "pinDuration=10", "--at", "pinDuration=30"],
      /^invalid --at: pinDuration given twice \(pinDuration=10, pinDuration=30\)$/,
    ],
    [
      ["--y", "per-page"],
      /^invalid --y: per-page \(allowed: per-pin, per-run for lost-data; per-pin, per-run for double-writebacks\)$/,
    ],
  ] as [string[], RegExp][]) {
    const r = await cli([...base, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.err.trim().split("\n").length, 1, `one line: ${r.err}`);
    assert.match(r.err.trim().replace(/^pinsim: (error: )?/, ""), re);
  }
  const r = await cli(["plot", FP, "--figure", "false-positives", "--y", "per-run", "--out", out]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /invalid --y: per-run \(none of the figures false-positives offers a choice of quantity\)/);
});

// `plot --help` named --y's values for lost-data and double-writebacks only, though
// fork-copies takes copies|needless (docs/figures.md): the help is made from the registry.
test("plot --help lists every figure's --y values", () => {
  const r = spawnSync(process.execPath, [BIN, "plot", "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, " ");
  const offering = FIGURES.filter((f) => f.quantities?.length);
  assert.ok(offering.some((f) => f.name === "fork-copies"));
  for (const f of offering) assert.ok(help.includes(`${f.name} ${f.quantities!.join("|")}`), `${f.name}: ${help}`);
});

// A results folder whose figures/ was a symbolic link (or held one named like a figure)
// was written through: `plot DIR` replaced the link's target. write-file-atomic follows a
// symbolic link too, so the check is ours: the folder and each file it would write are
// lstat()ed, all before anything is written. A FIFO named like a figure blocked
// writeFileSync for ever; it is refused the same way.
test("plot into a figures/ that is a symbolic link, or holds one: one line, exit 2, nothing written through", async () => {
  const root = mkdtempSync(join(tmpdir(), "pinsim-plot-link-"));
  const res = join(root, "res");
  cpSync(GRID, res, { recursive: true });
  const victim = join(root, "victim");
  mkdirSync(victim);
  const figures = join(res, "figures");
  symlinkSync(victim, figures);
  let r = await cli(["plot", res, "--format", "txt"]);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.trim().split("\n").length, 1, r.err);
  assert.match(
    r.err,
    /invalid --out: ".*figures" .*figures is a symbolic link \(to .*victim\); give the directory itself/,
  );
  assert.deepEqual(readdirSync(victim), [], "nothing written through the link");
  // An explicit --out naming the link: the same.
  r = await cli(["plot", res, "--format", "txt", "--out", figures]);
  assert.equal(r.code, 2, r.err);
  // A real folder holding a link named like the second figure: refused before the first is written.
  rmSync(figures);
  mkdirSync(figures);
  const secret = join(root, "secret");
  writeFileSync(secret, "keep me\n");
  symlinkSync(secret, join(figures, "lost-data.txt"));
  r = await cli(["plot", res, "--format", "txt", "--figure", "kernel-eras", "lost-data"]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /lost-data\.txt is a symbolic link \(to .*secret\)/);
  assert.equal(readFileSync(secret, "utf8"), "keep me\n");
  assert.deepEqual(readdirSync(figures), ["lost-data.txt"], "kernel-eras.txt not written either");
  // A FIFO of a figure's name: refused, not blocked on.
  rmSync(join(figures, "lost-data.txt"));
  spawnSync("mkfifo", [join(figures, "kernel-eras.svg")]);
  r = await cli(["plot", res, "--format", "svg", "--figure", "kernel-eras"]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /kernel-eras\.svg is a FIFO/);
  // A plain figures/ is written as before.
  rmSync(join(figures, "kernel-eras.svg"));
  r = await cli(["plot", res, "--format", "txt", "--figure", "kernel-eras"]);
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(join(figures, "kernel-eras.txt"), "utf8"), /kernel/i);
  rmSync(root, { recursive: true, force: true });
});

// `plot --at` on an axis the figure draws did nothing: `--figure lost-data --at
// pinDuration=10` drew every pin duration (its x axis) and `--at policy=foll-pin` every
// policy (its series). Refused now when no figure of the call holds that axis; one that is
// held by some figure (page-timeline picks its run by every axis) is honoured.
test("plot --at on an axis every figure draws: one line naming the figure, the role and the holdable axes, exit 2", async () => {
  const out = mkdtempSync(join(tmpdir(), "pinsim-plot-idle-at-"));
  const base = ["plot", GRID, "--format", "txt", "--out", out];
  let r = await cli([...base, "--figure", "lost-data", "--at", "pinDuration=10"]);
  assert.equal(r.code, 2, r.err);
  assert.equal(
    r.err.trim(),
    "pinsim: invalid --at: pinDuration=10 (lost-data draws it as its x axis; allowed: an axis a figure does not draw: writebackInterval)",
  );
  r = await cli([...base, "--figure", "lost-data", "double-writebacks", "--at", "policy=foll-pin"]);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /lost-data draws it as its series, double-writebacks draws it as its series; allowed: .*pinDuration/,
  );
  // The heatmap draws both time axes: pinDuration is its x axis.
  r = await cli([...base, "--figure", "lost-data-heatmap", "--at", "pinDuration=10"]);
  assert.match(r.err, /lost-data-heatmap draws it as its x axis/);
  // Held by one of the figures: accepted (lost-data holds writebackInterval; double-writebacks draws it).
  r = await cli([...base, "--figure", "lost-data", "double-writebacks", "--at", "writebackInterval=20"]);
  assert.equal(r.code, 0, r.err);
  // Every figure (page-timeline among them): accepted.
  r = await cli([...base, "--at", "pinDuration=10"]);
  assert.equal(r.code, 0, r.err);
  // false-positives on a sweep of bias × shareCount: bias is its series unless --at holds it,
  // then it is honoured (one line at that bias); shareCount, its x axis, is refused.
  r = await cli(["plot", FP, "--format", "txt", "--out", out, "--figure", "false-positives", "--at", "bias=64"]);
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(join(out, "false-positives.txt"), "utf8"), /^at bias=64$/m);
  r = await cli(["plot", FP, "--format", "txt", "--out", out, "--figure", "false-positives", "--at", "shareCount=64"]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /false-positives draws it as its x axis; allowed: an axis a figure does not draw: bias\)$/m);
});
