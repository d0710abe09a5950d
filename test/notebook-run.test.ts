// Headless runs through nbclient and the project's tslab kernel. Skipped, with a message,
// where no Python with nbclient is installed (npm run notebooks:setup installs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cellSource, findPython, readNotebook, runNotebook } from "../src/notebook/index.js";

const FIXTURES = join(import.meta.dirname, "notebook-fixtures");
const python = findPython();
const skip = python ? false : "no Python with nbclient (run npm run notebooks:setup)";
if (skip) console.log(`# notebook-run tests skipped: ${skip}`);
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

test("a failing cell fails the run with its TypeScript error; the executed copy is saved", {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pinsim-nbtest-"));
  try {
    const input = join(FIXTURES, "failing.ipynb");
    const before = sha(input);
    const out = join(dir, "failing.out.ipynb");
    const r = await runNotebook(input, { out });
    assert.equal(r.ok, false);
    assert.match(r.error ?? "", /cell 3 \(let wrong: number = "not a number";\) failed/);
    assert.match(r.error ?? "", /Type 'string' is not assignable to type 'number'/);
    assert.equal(r.saved, true);
    const nb = readNotebook(out);
    const text = (i: number) => JSON.stringify(nb.cells[i]!.outputs);
    assert.match(text(1), /before the error/);
    assert.match(text(2), /not assignable/);
    assert.deepEqual(nb.cells[3]!.outputs, [], "cells after the failure do not run");
    assert.equal(sha(input), before, "the notebook itself is untouched");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a parameterised run injects the values and they reach the figures", { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pinsim-nbtest-"));
  try {
    const input = join(FIXTURES, "params.ipynb");
    const before = sha(input);
    const out = join(dir, "params.out.ipynb");
    const r = await runNotebook(input, {
      out,
      parameterText: { pinDuration: "120", policies: "keep-dirty,mmu-notifier", trace: "true" },
    });
    assert.equal(r.ok, true, r.error ?? r.stderr);
    assert.deepEqual(r.parameters, { pinDuration: 120, policies: ["keep-dirty", "mmu-notifier"], trace: true });
    assert.equal(r.mimeTypes["image/svg+xml"], 1);
    assert.ok(r.kernelStart !== null && r.kernelStart > 0);
    const nb = readNotebook(out);
    assert.deepEqual(nb.cells[2]!.metadata.tags, ["injected-parameters"]);
    assert.match(cellSource(nb.cells[2]!), /let pinDuration = 120;/);
    const outputs = JSON.stringify(nb.cells.map((c) => c.outputs ?? []));
    assert.match(outputs, /pinDuration=120 policy=foll-pin policies=keep-dirty\+mmu-notifier trace=true/);
    assert.match(outputs, /<text x=\\"2\\" y=\\"15\\">120<\/text>/);
    assert.equal(sha(input), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
