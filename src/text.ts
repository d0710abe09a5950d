/**
 * Plain text for mail: the width pinsim's text output keeps to (a witness, the verdict
 * lines, the calibration matrix) and the word wrap that keeps it there.
 */

/** Columns of pinsim's plain text (witnesses, verdict lines, the table's legend, the calibration matrix wrap to it). */
export const TEXT_WIDTH = 72;

/** Word-wrap `s` into lines of at most `w` characters (hard-cutting longer words). */
export function wrap(s: string, w: number): string[] {
  const out: string[] = [];
  let line = "";
  for (let word of s.split(" ")) {
    while (word.length > w) {
      if (line) out.push(line), (line = "");
      out.push(word.slice(0, w));
      word = word.slice(w);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= w) line += " " + word;
    else out.push(line), (line = word);
  }
  if (line || out.length === 0) out.push(line);
  return out;
}
