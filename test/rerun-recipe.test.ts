/**
 * The report's Rerun recipe reproduces the run (issue 24): it dropped command-line overrides
 * (`--seeds 20`), so run verbatim it was refused on the same folder and made a 10-seed
 * sweep in a fresh checkout. Here: `sweep smoke --seeds 2` in one fresh clone of HEAD, its
 * report's recipe run verbatim in another, and the two summary.csv files byte-identical.
 * Each clone gets this checkout's node_modules (a link) and dist/ (a copy, what `npm ci &&
 * npm run build`, the recipe's first line, would make from the same sources).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { cutJson } from "../src/plot/rerun.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "pinsim-recipe-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A fresh clone of HEAD with node_modules linked and dist/ copied. */
function clone(name: string): string {
  const dir = join(TMP, name);
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  for (const args of [
    ["clone", "--quiet", "--no-checkout", ROOT, dir],
    ["-C", dir, "checkout", "--quiet", head],
  ]) {
    const r = spawnSync("git", args, { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
  return dir;
}

function sh(cwd: string, line: string) {
  const r = spawnSync("sh", ["-c", line], { cwd, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the Rerun recipe, run verbatim in a fresh clone, gives a byte-identical summary", { timeout: 600_000 }, () => {
  const a = clone("a");
  const first = sh(a, "node bin/pinsim.js sweep smoke --seeds 2 --workers 2 --quiet");
  assert.equal(first.code, 0, first.stderr);
  const report = sh(a, "node bin/pinsim.js report data/results/smoke");
  assert.equal(report.code, 0, report.stderr);
  const lines = report.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Rerun (config "));
  assert.ok(at >= 0, report.stdout);
  const sweepLine = lines.slice(at + 1).find((l) => l.trim().startsWith("node bin/pinsim.js sweep "))!;
  assert.match(sweepLine, /sweep smoke --seeds 2$/, "the --seeds override is part of the recipe");
  // The recipe verbatim (after its `npm ci && npm run build`, done by clone()), in a fresh clone.
  const b = clone("b");
  const again = sh(b, sweepLine.trim());
  assert.equal(again.code, 0, again.stderr);
  const summary = (dir: string) => readFileSync(join(dir, "data/results/smoke/summary.csv"), "utf8");
  assert.equal(summary(b), summary(a));
  // And on the same folder it is a resume, not a refusal of another config.
  const same = sh(a, `${sweepLine.trim()} --quiet`);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /18 runs \(0 run now in .* s, 18 resumed from /);
});

/** The recipe's lines (between `npm ci && npm run build` and `plot`) in `pinsim report DIR`'s output. */
function recipe(report: string): string {
  const lines = report.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Rerun (config "));
  assert.ok(at >= 0, report);
  const end = lines.findIndex((l, i) => i > at && l.trim().startsWith("node bin/pinsim.js plot "));
  assert.equal(lines[at + 1], "  npm ci && npm run build");
  return lines.slice(at + 2, end).join("\n");
}

// A sweep from a config file got `sweep NAME` as its recipe: in a fresh clone NAME is no
// preset (refused), and a config whose name is a preset's ("smoke") silently ran the preset
// instead (another config hash, another summary). Each config here is small: 2 policies ×
// 2 pin durations × 2 seeds of an hour, 8 runs.
test("the Rerun recipe of a config-file sweep, named like a preset or not, reproduces it in a fresh clone", {
  timeout: 600_000,
}, () => {
  const a = clone("c");
  const b = clone("d");
  for (const name of ["my-sweep", "smoke"]) {
    const config = {
      name,
      question: "What if it isn't the preset? (a quote, for the shell)",
      base: { files: 8, pagesPerFile: 16, pinners: 4, duration: 3600 },
      axes: { policy: ["foll-pin", "dirty-at-gup"], pinDuration: [10, 40] },
      seeds: 2,
      rootSeed: 5,
    };
    const file = join(TMP, `${name}-config.json`);
    writeFileSync(file, JSON.stringify(config));
    const dir = `out/${name}`;
    const first = sh(a, `node bin/pinsim.js sweep ${file} --out ${dir} --quiet`);
    assert.equal(first.code, 0, first.stderr);
    const report = sh(a, `node bin/pinsim.js report ${dir}`);
    assert.equal(report.code, 0, report.stderr);
    const steps = recipe(report.stdout);
    assert.doesNotMatch(steps, new RegExp(`sweep ${name}( |$)`), `${name}: the recipe names no preset: ${steps}`);
    for (const l of steps.split("\n")) assert.ok(l.length <= 72, `${name}: over 72 columns: ${l}`);
    // Verbatim in the other clone, which has neither the config file nor the results, but
    // a file of the name the recipe's config takes: left as it was (it was overwritten).
    const mine = join(b, `${name}.sweep.json`);
    writeFileSync(mine, "my own notes\n");
    const again = sh(b, steps);
    assert.equal(again.code, 0, `${name}: ${again.stderr}\n${steps}`);
    assert.equal(readFileSync(mine, "utf8"), "my own notes\n", `${name}: the recipe overwrote ${name}.sweep.json`);
    const summary = (clone: string) => readFileSync(join(clone, dir, "summary.csv"), "utf8");
    assert.equal(summary(b), summary(a), `${name}: summary.csv differs`);
    const hash = (clone: string) => JSON.parse(readFileSync(join(clone, dir, "manifest.json"), "utf8")).configHash;
    assert.equal(hash(b), hash(a));
    // And on the same folder it is a resume, not a refusal of another config.
    const same = sh(a, steps);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /8 runs \(0 run now in .* s, 8 resumed from /);
  }
});

// A long string (a question of many words) was cut anywhere, mid-word ("… and on a" /
// "nd on …"); now after its last space that fits, so each piece but the last of the string
// ends with a space, and the pieces joined (printf '%s' adds nothing between) are the text.
test("cutJson: a long string is cut after a space, and its pieces join back to the text", () => {
  const text = JSON.stringify({ question: "and on ".repeat(30).trim() });
  const pieces = cutJson(text, 40);
  assert.equal(pieces.join(""), text);
  for (const p of pieces) assert.ok(`'${p}'`.length <= 40, p);
  for (const p of pieces.slice(0, -1)) assert.match(p, / $/, `cut mid-word: ${JSON.stringify(p)}`);
  // No space at all: cut anywhere, still within the width.
  const word = JSON.stringify({ q: "x".repeat(100) });
  assert.equal(cutJson(word, 40).join(""), word);
});
