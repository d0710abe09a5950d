/**
 * Aligned plain-text tables: numbers right-aligned, text left-aligned, two spaces apart.
 */

export interface TextColumn {
  /** Column heading. */
  header: string;
  /** Default: right if every cell of the column looks numeric, else left. */
  align?: "left" | "right";
}

/** Lay out `rows` under `columns`, a rule under the header. */
export function textTable(columns: (TextColumn | string)[], rows: string[][]): string {
  const cols = columns.map((c) => (typeof c === "string" ? { header: c } : c));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const align = cols.map(
    (c, i) => c.align ?? (rows.every((r) => /^[-–+\d.,%[\]\s kM×e]*$/.test(r[i] ?? "")) ? "right" : "left"),
  );
  const line = (cells: string[]) =>
    cells
      .map((s, i) => (align[i] === "right" ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return (
    [line(cols.map((c) => c.header)), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map((r) => line(r))].join(
      "\n",
    ) + "\n"
  );
}

/**
 * A matrix (row keys × column keys) as one or more aligned tables, split by columns so
 * that none is wider than `width`.
 */
export function matrixTable(
  corner: string,
  rowKeys: string[],
  colKeys: string[],
  cell: (row: string, col: string) => string,
  width = 72,
): string {
  const first = Math.max(corner.length, ...rowKeys.map((r) => r.length));
  const colW = colKeys.map((c) => Math.max(c.length, ...rowKeys.map((r) => cell(r, c).length)));
  const parts: string[] = [];
  let start = 0;
  while (start < colKeys.length) {
    let used = first,
      end = start;
    while (end < colKeys.length && (end === start || used + 2 + colW[end] <= width)) used += 2 + colW[end++];
    const cols = colKeys.slice(start, end);
    parts.push(
      textTable(
        [{ header: corner, align: "left" }, ...cols.map((c) => ({ header: c, align: "right" as const }))],
        rowKeys.map((r) => [r, ...cols.map((c) => cell(r, c))]),
      ),
    );
    start = end;
  }
  return parts.join("\n");
}

/**
 * A table whose first column is a key (e.g. the policy), split by columns into as many
 * aligned tables as it takes for none to be wider than `width`; each part repeats the key
 * column. Used where a table of intervals would otherwise run past 72 columns.
 */
export function fitTable(columns: (TextColumn | string)[], rows: string[][], width = 72): string {
  const cols = columns.map((c) => (typeof c === "string" ? { header: c } : c));
  const w = cols.map((c, i) => Math.max([...c.header].length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const parts: string[] = [];
  let start = 1;
  while (start < cols.length) {
    let used = w[0],
      end = start;
    while (end < cols.length && (end === start || used + 2 + w[end] <= width)) used += 2 + w[end++];
    const pick = [0, ...Array.from({ length: end - start }, (_, k) => start + k)];
    parts.push(
      textTable(
        pick.map((i) => cols[i]),
        rows.map((r) => pick.map((i) => r[i] ?? "")),
      ),
    );
    start = end;
  }
  return parts.join("\n");
}
