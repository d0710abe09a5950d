// The README's `$ pinsim …` transcripts run as tests, as SimPy runs its example programs:
// every fenced block of README.md holding lines that start with `$ pinsim ` is split into
// commands and their shown output; each command runs (node bin/pinsim.js, from the project
// root, on the built dist/) and its stdout and stderr, together, must read as shown.
//
// What may differ: versions (`pinsim 1.2.3`, `v20.1.0`) and timings (`12.3 s`, `45 ms`)
// are normalised on both sides; an ellipsis `…` in the README stands for any text on that
// line (an elided list of allowed values, say), and a line of only `…` for any number of
// lines. A transcript with no output lines asserts
// that the command prints nothing. A `# exit N` line after the output asserts the exit code
// (default: whatever it is; bad input is 2 by the project's rule).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

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

/** Versions and timings: equal on both sides whatever the run. */
function normalise(text: string): string {
  return text
    .replace(/\bpinsim \d+\.\d+\.\d+\S*/g, "pinsim X.Y.Z")
    .replace(/\bv\d+\.\d+\.\d+\b/g, "vX.Y.Z")
    .replace(/\b\d+(?:\.\d+)? ?(s|ms|seconds)\b/g, "T $1");
}

/** The README's expected line as a pattern: literal text, `…` matching anything. */
function linePattern(expected: string): RegExp {
  const parts = normalise(expected)
    .split("…")
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/** Whether actual lines read as the expected ones; an expected line that is only `…` stands for any number of lines. */
function linesMatch(act: string[], exp: string[]): boolean {
  if (exp.length === 0) return act.length === 0;
  if (exp[0]!.trim() === "…") {
    for (let skip = 0; skip <= act.length; skip++) if (linesMatch(act.slice(skip), exp.slice(1))) return true;
    return false;
  }
  return act.length > 0 && linePattern(exp[0]!).test(act[0]!) && linesMatch(act.slice(1), exp.slice(1));
}

const found = transcripts(readFileSync(join(ROOT, "README.md"), "utf8"));

test("the README has transcripts to run", () => {
  // The error-message transcript of "Running one simulation" at least.
  assert.ok(found.length >= 1, "no `$ pinsim` transcript found in README.md");
});

for (const t of found) {
  test(`README.md:${t.line}: $ pinsim ${t.args.join(" ")}`, { timeout: 120_000 }, () => {
    const r = spawnSync(process.execPath, [BIN, ...t.args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 110_000,
    });
    const actual = normalise(`${r.stdout}${r.stderr}`).replace(/\n$/, "").split("\n");
    const expected = t.output.join("\n").replace(/\n+$/, "");
    const exp = expected === "" ? [] : expected.split("\n");
    const act = actual.length === 1 && actual[0] === "" ? [] : actual;
    assert.ok(linesMatch(act, exp), `output differs from README.md:${t.line}:\n${act.join("\n")}`);
    if (t.exit !== null) assert.equal(r.status, t.exit, "exit code");
  });
}
