/**
 * What the README says on a fresh machine is true (issue 24): each check failed on the
 * README, .gitignore, scripts and help text as they were.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { BIN } from "./helpers/cli.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// The README and the guides it maps (issue 24 moved most of its text under docs/).
const README = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
]
  .map((f) => readFileSync(join(ROOT, f), "utf8"))
  .join("\n");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

/** The shell-block lines (``` sh, bash, console) of the README and the guides, comments kept. */
function shellLines(): string[] {
  return [...README.matchAll(/```(?:sh|bash|console)\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n"));
}

test("npm run notebook follows notebooks:setup -- --interactive (setup alone installs no front end: notebook open exits 1)", () => {
  const lines = shellLines().filter((l) => /npm run notebooks:setup\b.*&&.*npm run notebook\b/.test(l));
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /notebooks:setup -- --interactive/, l);
});

test("npm test is not said to run the notebooks (its script runs tsx --test only)", () => {
  assert.doesNotMatch(PACKAGE.scripts.test!, /notebook/);
  for (const l of shellLines().filter((x) => /npm (ci && npm )?test\b/.test(x)))
    assert.doesNotMatch(l.replace(/\.ci\/run also runs[^)]*/, ""), /then the notebooks|runs the notebooks/, l);
});

test("--workers examples run on a 2-core machine (more than the cores is refused without --no-budget)", () => {
  for (const l of shellLines()) {
    const m = /--workers (\d+)/.exec(l);
    // `$ pinsim …` lines are transcripts (their refusals shown and tested as such).
    if (m && !l.includes("--no-budget") && !l.startsWith("$")) assert.ok(Number(m[1]) <= 2, l);
  }
  assert.match(README, /--workers 8` is refused/);
});

test("the prose says rootSeed is required", () => {
  assert.match(README, /`rootSeed` are required/);
});

test("witnesses/ (check --witness's default --out) is ignored by git", () => {
  const r = spawnSync("git", ["check-ignore", "-q", "witnesses/x.lostData.txt"], { cwd: ROOT });
  assert.equal(r.status, 0, "git check-ignore says witnesses/ is not ignored");
});

test("sweep --help lists every preset of data/sweeps/", () => {
  const help = spawnSync(process.execPath, [BIN, "sweep", "--help"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
  const presets = readdirSync(join(ROOT, "data", "sweeps"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
  assert.ok(presets.length >= 7);
  for (const p of presets) assert.ok(help.includes(p), `sweep --help misses ${p}`);
});

test("notebooks:setup waits for the dpkg lock instead of failing on it", () => {
  const script = readFileSync(join(ROOT, "scripts", "notebooks-setup.mjs"), "utf8");
  const applies = [...script.matchAll(/apt-get (\$\{wait\} )?(update|install)/g)];
  assert.ok(applies.length >= 4);
  for (const a of applies) assert.ok(a[1], `apt-get ${a[2]} without the lock timeout`);
  assert.match(script, /DPkg::Lock::Timeout=\d+/);
});

test("the README says how to use the package outside the checkout and what the install-scripts warning is", () => {
  assert.match(README, /npm install \/path\/to\/pinsim/);
  assert.match(README, /npm pack/);
  assert.match(README, /install scripts[^.]*`zeromq`[^.]*`esbuild`/);
});

test("docs/sweeps.md's copy of sweep.sbatch is the file (the block is skipped by the shell-block runner as a file's content)", () => {
  const doc = readFileSync(join(ROOT, "docs", "sweeps.md"), "utf8");
  const copy = /<!-- ci: skip: the content of sweep\.sbatch[^>]*-->\n```sh\n([\s\S]*?)```/.exec(doc);
  assert.ok(copy, "docs/sweeps.md has no skipped block marked as the content of sweep.sbatch");
  assert.equal(copy[1], readFileSync(join(ROOT, "sweep.sbatch"), "utf8"));
});
