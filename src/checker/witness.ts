/**
 * Witnesses as text for email: numbered steps, one column per actor, at most 72 columns.
 */
import type { PageCache } from "../model/page-cache.js";
import type { CheckResult, WitnessStep } from "./explore.js";
import { FAILURE_ID } from "./verdict.js";

export { TEXT_WIDTH, wrap } from "../text.js";
import { TEXT_WIDTH, wrap } from "../text.js";

/**
 * The page in one short field, as a witness shows it beside each step: six flag
 * positions `DWLBwM` (PG_dirty, PG_writeback, PG_locked, buffers, a writable pte, mapped;
 * `-` when clear), the GUP references (`pin1`, `get1`), and the content versions in
 * memory and on disk (`m1/d0`). `trunc` marks a page truncated (detached), `evicted` one
 * that left memory. E.g. `D--B-M pin1 m1/d0`.
 */
export function pageState(c: PageCache): string {
  const p = 0;
  if (!c.resident(p)) return `evicted d${c.disk(p)}`;
  const f = (on: number, ch: string): string => (on ? ch : "-");
  const flags =
    f(c.dirty(p), "D") +
    f(c.writeback(p), "W") +
    f(c.locked(p), "L") +
    f(c.buffers(p), "B") +
    f(c.pteWritable(p), "w") +
    f(c.mapped(p), "M");
  const refs = (c.pins[p] ? ` pin${c.pins[p]}` : "") + (c.gets[p] ? ` get${c.gets[p]}` : "");
  return `${c.attached(p) ? "" : "trunc "}${flags}${refs} m${c.mem(p)}/d${c.disk(p)}`;
}

/** The legend of pageState, wrapped for text output. */
export const PAGE_LEGEND =
  "page: D PG_dirty, W PG_writeback, L PG_locked, B buffers, w writable pte, M mapped; " +
  "pinN/getN GUP references; mM/dD versions in memory and on disk.";

function mark(step: WitnessStep): string {
  return step.incidents.length ? `${step.step} !${step.incidents.map((i) => FAILURE_ID[i]).join(",")}` : step.step;
}

/**
 * The witness as a table: a row per step, its text in the column of the actor that ran
 * it; the final sync spans the row. `!F2` marks the step where an incident first happened.
 */
export function formatWitness(actors: CheckResult["actors"], steps: WitnessStep[]): string {
  const n = actors.length;
  const num = 4; // "12. "
  const gap = 2;
  const w = Math.floor((TEXT_WIDTH - num - gap * (n - 1)) / n);
  const col = new Map(actors.map((a, i) => [a.name, i]));
  const lines: string[] = [];
  const row = (cells: string[]): string =>
    cells
      .map((c, i) => (i < n - 1 ? c.padEnd(w + gap) : c))
      .join("")
      .trimEnd();
  lines.push(" ".repeat(num) + row(actors.map((a) => wrap(a.title, w)[0])));
  lines.push(" ".repeat(num) + row(actors.map(() => "-".repeat(Math.min(w, 16)))));
  for (const s of steps) {
    const label = `${s.n}.`.padEnd(num);
    const i = col.get(s.actor);
    if (i === undefined) {
      wrap(mark(s), TEXT_WIDTH - num).forEach((t, k) => lines.push((k === 0 ? label : " ".repeat(num)) + t));
      continue;
    }
    wrap(mark(s), w).forEach((t, k) => {
      const cells = actors.map(() => "");
      cells[i] = t;
      lines.push((k === 0 ? label : " ".repeat(num)) + row(cells));
    });
  }
  return lines.join("\n") + "\n";
}

/** A witness on one line per ~72 columns: `1 P0 follow_page_pte: grab; 2 P1 lock_page; …`. */
export function formatWitnessInline(steps: WitnessStep[], indent = 4): string {
  const text = steps.map((s) => `${s.n} ${s.actor === "sync" ? "" : s.actor + " "}${mark(s)}`).join("; ");
  return (
    wrap(text, TEXT_WIDTH - indent)
      .map((l) => " ".repeat(indent) + l)
      .join("\n") + "\n"
  );
}
