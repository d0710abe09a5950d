/**
 * The matrix of several calibration folders (one per kernel): one line per quantity, one
 * column per kernel, each cell the verdict (agree, DIFFER, not measured, absent), then the
 * differing cells with both sides. Text, at most 72 columns: what `pinsim report DIR DIR…`
 * prints and what docs/calibrate.md shows.
 */
import { verdictCounts, type ComparisonRow } from "../compare.js";
import type { Calibration } from "../store.js";
import { TEXT_WIDTH, wrap } from "../../text.js";

/**
 * `text` after `lead` (spaces kept) wrapped to TEXT_WIDTH columns at spaces, the lines
 * after the first indented by `indent` spaces: the whole text kept, never cut.
 */
function hanging(lead: string, text: string, indent: number): string[] {
  const [first, ...rest] = wrap(text, TEXT_WIDTH - lead.length);
  if (rest.length === 0) return [lead + first];
  return [lead + first, ...wrap(rest.join(" "), TEXT_WIDTH - indent).map((l) => " ".repeat(indent) + l)];
}

/** One quantity across kernels: its label and each kernel's row (null: that kernel has no such row). */
export interface MatrixLine {
  /** Short label: filesystem, part and the quantity's first words. */
  label: string;
  /** Rows by kernel, in column order. */
  cells: (ComparisonRow | null)[];
}

/** A row's key across kernels: part, filesystem and its ordinal among that part's rows on that filesystem. */
function keyed(c: Calibration): Map<string, ComparisonRow> {
  const count = new Map<string, number>();
  const out = new Map<string, ComparisonRow>();
  for (const raw of c.comparison) {
    // A host folder's rows carry no fs: its probes ran on the results folder's filesystem.
    const r = raw.fs !== undefined || raw.part === "detector" ? raw : { ...raw, fs: c.machine.filesystem.type };
    const base = `${r.part}|${r.fs ?? ""}`;
    const n = count.get(base) ?? 0;
    count.set(base, n + 1);
    out.set(`${base}|${n}`, r);
  }
  return out;
}

/**
 * A label of at most `width` characters: "ext4 longterm: io_uring … over anon". With
 * `detail`, the text after the quantity's last ": " is added, for two rows whose short
 * labels would read the same (fork's copy on the LRU and in the lru_add batch).
 */
export function rowLabel(r: ComparisonRow, width = 40, detail = false): string {
  const q = r.quantity.replace(new RegExp(`^${r.fs}: `), "");
  const over = /over (\S+)$/.exec(q)?.[1];
  const head = q
    .replace(/\s*\([^)]*\)/g, "")
    .split(/ = | from |;|, periodic|: share of delays in| in \[|, a clean page|, a shared page/)[0]
    .replace(/^\.\.\. /, "")
    .replace(/Kolmogorov-Smirnov/, "KS")
    .replace(/reclaim writes dirty file pages under/, "reclaim writes, under")
    .replace(/io_uring REGISTER_BUFFERS/, "io_uring register")
    .replace(/[,;:]\s*$/, "")
    .trim();
  const tail = detail
    ? q
        .slice(q.lastIndexOf(": ") + 2)
        .replace(/\s*\([^)]*\)/g, "")
        .replace(/^page /, "")
        .trim()
    : "";
  const text = `${r.fs ? `${r.fs} ` : ""}${head}${over && !head.endsWith(over) ? ` ${over}` : ""}${tail && !head.endsWith(tail) ? `: ${tail}` : ""}`;
  return text.length > width ? `${text.slice(0, width - 1)}~` : text;
}

/**
 * The lines of the matrix, in the first kernel's row order, then rows only later kernels
 * have; labels of at most `width` characters, made distinct where the short ones collide.
 */
export function matrixLines(cals: Calibration[], width = 40): MatrixLine[] {
  const maps = cals.map((c) => keyed(c));
  const keys: string[] = [];
  for (const m of maps) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  const lines = keys.map((k) => {
    const cells = maps.map((m) => m.get(k) ?? null);
    return { label: rowLabel(cells.find((c) => c !== null)!, width), cells };
  });
  const seen = new Map<string, number>();
  for (const l of lines) seen.set(l.label, (seen.get(l.label) ?? 0) + 1);
  for (const l of lines) if (seen.get(l.label)! > 1) l.label = rowLabel(l.cells.find((c) => c !== null)!, width, true);
  return lines;
}

/** A kernel's column title: the release's major.minor (or the whole release when two would clash). */
export function columnTitles(cals: Calibration[]): string[] {
  const short = cals.map((c) => /^\d+\.\d+/.exec(c.machine.kernelRelease)?.[0] ?? c.machine.kernelRelease);
  return short.map((s, i) =>
    short.indexOf(s) !== short.lastIndexOf(s) ? cals[i].machine.kernelRelease.slice(0, 8) : s,
  );
}

const mark = (r: ComparisonRow | null) =>
  r === null ? "-" : r.agree === true ? (r.power === false ? "nr" : "ok") : r.agree === false ? "DIF" : "n/a";

/** The matrix as text (<= 72 columns): header, one line per quantity, a key, then every differing cell with both sides. */
export function matrixText(cals: Calibration[]): string {
  const titles = columnTitles(cals);
  const colW = Math.max(4, ...titles.map((t) => t.length + 1));
  const labelW = Math.max(20, 72 - colW * titles.length);
  // (72 columns: the label takes what the kernel columns leave.)
  const lines = matrixLines(cals, labelW - 1);
  const pad = (s: string, w: number) => (s.length >= w ? s.slice(0, w) : s + " ".repeat(w - s.length));
  const out = [`${pad("quantity", labelW)}${titles.map((t) => t.padStart(colW)).join("")}`];
  for (const l of lines) out.push(`${pad(l.label, labelW)}${l.cells.map((c) => mark(c).padStart(colW)).join("")}`);
  out.push("", "ok agree, nr not refuted by its few samples, DIF differ, n/a not", "measured here, - no such row");
  cals.forEach((c, i) => {
    const n = c.comparison.length;
    const { agree: a, notRefuted: nr, differ: d } = verdictCounts(c.comparison);
    const preset = c.lab?.preset ? `preset ${c.lab.preset.id}` : "preset as on the host";
    out.push(
      ...hanging(
        "",
        `${titles[i]}: ${c.machine.kernelRelease} (${c.lab ? c.lab.accel.toUpperCase() : "host"}, ${preset}): ${a}/${n} agree${nr ? `, ${nr} not refuted` : ""}, ${d} differ`,
        2,
      ),
    );
  });
  const diffs = lines.flatMap((l) => l.cells.map((c, i) => ({ c, i })).filter((x) => x.c?.agree === false));
  if (diffs.length) out.push("", "Differences (kernel | model):");
  for (const x of diffs) {
    // The quantity and each side in full, wrapped, never cut.
    out.push(...hanging("", `${titles[x.i]} ${x.c!.quantity}`, 2));
    out.push(...hanging("  kernel: ", x.c!.kernel, 10), ...hanging("  model:  ", x.c!.model, 10));
  }
  return `${out.join("\n")}\n`;
}
