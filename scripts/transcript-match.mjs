// How a documented transcript's output is compared with a command's real output, shared by
// test/readme-transcripts.test.ts (bare ``` blocks of `$ pinsim …`) and scripts/doc-blocks.mjs
// (```console blocks and ```sh blocks written as `$ …` transcripts).
//
// What may differ: versions (`pinsim 1.2.3`, `v20.1.0`) and timings (`12.3 s`, `45 ms`) are
// normalised on both sides; an ellipsis `…` in the documented line stands for any text on that
// line, and a line of only `…` for any number of lines.

/** Versions and timings: equal on both sides whatever the run. */
export function normalise(text) {
  return text
    .replace(/\bpinsim \d+\.\d+\.\d+\S*/g, "pinsim X.Y.Z")
    .replace(/\bv\d+\.\d+\.\d+\b/g, "vX.Y.Z")
    .replace(/\b\d+(?:\.\d+)? ?(s|ms|seconds)\b/g, "T $1");
}

/** The documented line as a pattern: literal text, `…` matching anything. */
export function linePattern(expected) {
  const parts = normalise(expected)
    .split("…")
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/** Whether actual lines read as the expected ones; an expected line that is only `…` stands for any number of lines. */
export function linesMatch(act, exp) {
  if (exp.length === 0) return act.length === 0;
  if (exp[0].trim() === "…") {
    for (let skip = 0; skip <= act.length; skip++) if (linesMatch(act.slice(skip), exp.slice(1))) return true;
    return false;
  }
  return act.length > 0 && linePattern(exp[0]).test(act[0]) && linesMatch(act.slice(1), exp.slice(1));
}

/** A command's combined output as lines to compare: normalised, no trailing newlines (a blank last line is not shown in a document), [] for none. */
export function outputLines(text) {
  const lines = normalise(text).replace(/\n+$/, "").split("\n");
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}
