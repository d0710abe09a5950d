/**
 * The page timeline's own events (src/plot/page-timeline.ts): the pin's GUP and release,
 * named by the kernel calls the policy goes through, evictions and truncations of the
 * page, and what became of its data at the end of the run.
 */
import type { TraceRow } from "../engine/simulate.js";
import { POLICIES } from "../policies/index.js";
import { formatNumber } from "./format.js";
import type { PageTimeline } from "./page-timeline.js";
import { wrapText } from "./text-chart.js";
import { textTable } from "./text-table.js";

/** Whether GUP holds the page (FOLL_PIN pins or FOLL_GET references) at this row. */
export function pinnedAt(r: TraceRow): boolean {
  return r.pins > 0 || r.gets > 0;
}

/** The kernel calls a policy's GUP and release go through, for the event table. */
export function pinCalls(policyId: string): { gup: string; release: string } {
  const policy = POLICIES.find((p) => p.id === policyId);
  const ref = policy?.reference ?? "FOLL_PIN";
  const gup =
    ref === "FOLL_GET"
      ? "get_user_pages (FOLL_GET, refcount + 1)"
      : ref === "FOLL_PIN"
        ? "pin_user_pages (FOLL_PIN, refcount + bias)"
        : "hmm_range_fault (device mapping, no reference)";
  // The policy says its release in its summary ("…; release: put_page only"); else by reference.
  const said = /release: ([^;]+)/
    .exec(policy?.summary ?? "")?.[1]
    ?.replace(/ \(as [^)]*\)$/, "")
    .trim();
  const release =
    said ??
    (ref === "FOLL_GET"
      ? "put_page"
      : ref === "FOLL_PIN"
        ? "unpin_user_pages_dirty_lock"
        : "mmu_interval_notifier_remove");
  return { gup, release };
}

/** "GUP at 33.6 s: get_user_pages (…); release at 134 s: put_page only", for the SVG's subtitle. */
export function pinCallsLine(tl: PageTimeline): string {
  return lifeEvents(tl)
    .filter((e) => /^(GUP|release): /.test(e.what))
    .map((e) => e.what.replace(/^(GUP|release): /, (_, k: string) => `${k} at ${formatNumber(e.t)} s: `))
    .join("; ");
}

/** The pin's GUP and release, evictions and truncations of the page, inside the window. */
function lifeEvents(tl: PageTimeline): { t: number; what: string }[] {
  const calls = pinCalls(String(tl.params.policy ?? "foll-pin"));
  const [t0, t1] = tl.window;
  const out: { t: number; what: string }[] = [];
  const tr = tl.trace;
  for (let i = 1; i < tr.length; i++) {
    const a = tr[i - 1]!,
      b = tr[i]!;
    if (b.t < t0 || b.t > t1) continue;
    if (!pinnedAt(a) && pinnedAt(b))
      out.push({ t: b.t, what: `GUP: ${calls.gup}${!a.dirty && b.dirty ? ", dirties the page" : ""}` });
    if (pinnedAt(a) && !pinnedAt(b)) {
      const after =
        !b.dirty && b.mem !== b.disk
          ? ", leaves it clean with mem ≠ disk"
          : !a.dirty && b.dirty
            ? ", dirties the page"
            : "";
      out.push({ t: b.t, what: `release: ${calls.release}${after}` });
    }
    if (a.resident && !b.resident)
      out.push({
        t: b.t,
        what: a.mem !== a.disk ? `evicted (${b.event}) with mem ≠ disk: lost` : `evicted (${b.event})`,
      });
    if (a.attached && !b.attached) out.push({ t: b.t, what: `truncated (${b.event})` });
  }
  return out;
}

/**
 * What became of the page's data at the end of the run, from its last trace row (rows are
 * written when the state changes, the end-of-run sync's too): on disk since when, lost on a
 * clean page or at eviction, left dirty, or cut short by a crash.
 */
export function endOfRun(tl: PageTimeline): string | null {
  if (!tl.end) return null;
  const tr = tl.trace;
  const at = `end of run (${formatNumber(tl.end.t)} s)`;
  if (tl.end.crashedAt !== null)
    return `${at}: the run stopped at the ext4 BUG() on a bufferless dirty page; nothing after it was counted`;
  const last = tr.at(-1);
  if (!last) return `${at}: the page was never touched`;
  if (!last.attached) return `${at}: truncated at ${last.t.toFixed(3)} s; its data went with the file`;
  if (!last.resident) {
    // The eviction that left the page out of memory: the last resident -> not resident row.
    let i = tr.length - 1;
    while (i > 0 && !(tr[i - 1]!.resident && !tr[i]!.resident)) i--;
    const before = tr[Math.max(0, i - 1)]!;
    const lost = i > 0 && before.mem !== before.disk;
    return `${at}: evicted at ${tr[i]!.t.toFixed(3)} s${lost ? " with mem ≠ disk: that data is lost (lostDataEvicted)" : ", its data on disk"}`;
  }
  if (last.mem === last.disk) {
    // The last row at which disk caught up with memory.
    let i = tr.length - 1;
    while (i > 0 && tr[i - 1]!.mem === tr[i - 1]!.disk) i--;
    const how =
      tr[i]!.event === "end-of-run sync"
        ? "written by the end-of-run sync(2)"
        : `on disk since ${tr[i]!.t.toFixed(3)} s (${tr[i]!.event})`;
    return i === 0 ? `${at}: memory equals disk, nothing unsaved` : `${at}: saved, ${how}`;
  }
  const v = `mem v${last.mem} ≠ disk v${last.disk}`;
  if (last.dirty) return `${at}: still dirty with ${v} after the end-of-run sync(2) (finalDirtyPages)`;
  return `${at}: clean with ${v}; sync(2) does not write a clean page: its last ${last.mem - last.disk} writes never reach disk (lostDataFinal)`;
}

/** The events table: the pin's own events and the writes and writebacks in the window, then the end of the run. */
export function eventTable(tl: PageTimeline, ticks: { t: number; what: string }[]): string[] {
  const own = lifeEvents(tl);
  const others = ticks.map((k) => ({ t: k.t, what: k.what }));
  const MAX = 12;
  const shown = others.slice(0, Math.max(0, MAX - own.length));
  const rows = [...own, ...shown].sort((a, b) => a.t - b.t);
  const out: string[] = [];
  if (rows.length) {
    // An event wider than the column a 72-column line leaves continues on the next row.
    const tw = Math.max(5, ...rows.map((r) => r.t.toFixed(3).length));
    const cells = rows.flatMap((r) =>
      wrapText(r.what, 72 - tw - 2).map((w, i) => [i ? "" : r.t.toFixed(3), i ? `  ${w}` : w]),
    );
    out.push("", textTable(["t (s)", { header: "event", align: "left" }], cells).trimEnd());
    if (others.length > shown.length) out.push(`… and ${others.length - shown.length} more events in the window`);
  }
  const end = endOfRun(tl);
  if (end) out.push(end);
  return out;
}
