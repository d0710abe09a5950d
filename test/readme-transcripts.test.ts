// The README's and the guides' `$ pinsim …` transcripts run as tests, as SimPy runs its example
// programs: every fenced block of README.md and docs/*.md holding lines that start with `$ pinsim ` is split into
// commands and their shown output; each command runs (node bin/pinsim.js, from the project
// root, on the built dist/) and its stdout and stderr, together, must read as shown.
//
// What may differ (scripts/transcript-match.mjs): versions and timings are normalised on both
// sides; an ellipsis `…` stands for any text on that line (an elided list of allowed values,
// say), and a line of only `…` for any number of lines. A transcript with no output lines asserts
// that the command prints nothing. A `# exit N` line after the output asserts the exit code
// (default: whatever it is; bad input is 2 by the project's rule).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// The matching rules, shared with scripts/doc-blocks.mjs.
import { linesMatch, outputLines } from "../scripts/transcript-match.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin", "pinsim.js");

interface Transcript {
  /** README line of the `$` command. */
  line: number;
  args: string[];
  output: string[];
  exit: number | null;
}

/** Split a command line as sh would for plain words and '…' / "…" quoting. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g))
    words.push(m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? m[3]!);
  return words;
}

function transcripts(markdown: string): Transcript[] {
  const out: Transcript[] = [];
  const lines = markdown.split("\n");
  let inFence = false;
  let current: Transcript | null = null;
  lines.forEach((raw, i) => {
    if (/^\s*```/.test(raw)) {
      inFence = !inFence;
      current = null;
      return;
    }
    if (!inFence) return;
    const cmd = raw.match(/^\$ pinsim(?:\s+(.*))?$/);
    if (cmd) {
      current = { line: i + 1, args: shellWords(cmd[1] ?? ""), output: [], exit: null };
      out.push(current);
      return;
    }
    if (!current) return;
    const exit = raw.match(/^# exit (\d+)\s*$/);
    if (exit) current.exit = Number(exit[1]);
    else current.output.push(raw);
  });
  return out;
}

/** README.md and the guides under docs/ (the text moved there in issue 24). */
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const found = DOCS.flatMap((file) => transcripts(readFileSync(join(ROOT, file), "utf8")).map((t) => ({ ...t, file })));

test("the README and the guides have transcripts to run", () => {
  // The error-message transcript of "Running one simulation" at least, and the checker's.
  assert.ok(found.length >= 2, "no `$ pinsim` transcript found in README.md and docs/*.md");
});

for (const t of found) {
  test(`${t.file}:${t.line}: $ pinsim ${t.args.join(" ")}`, { timeout: 120_000 }, () => {
    const r = spawnSync(process.execPath, [BIN, ...t.args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 110_000,
    });
    const act = outputLines(`${r.stdout}${r.stderr}`);
    const expected = t.output.join("\n").replace(/\n+$/, "");
    const exp = expected === "" ? [] : expected.split("\n");
    assert.ok(linesMatch(act, exp), `output differs from ${t.file}:${t.line}:\n${act.join("\n")}`);
    if (t.exit !== null) assert.equal(r.status, t.exit, "exit code");
  });
}
