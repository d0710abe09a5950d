/**
 * The page timeline's event table names the pin's GUP and release by the kernel calls the
 * policy goes through, and says what became of the page's data at the end of the run
 * (issue 24): lost on a clean page, saved (and when), or cut short by ext4's BUG().
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadResults } from "../src/sweep/index.js";
import {
  endOfRun,
  pageTimelineText,
  pinCalls,
  renderFigure,
  timelineFromResults,
  tracePage,
} from "../src/plot/index.js";
import { simulate } from "../src/engine/simulate.js";

const grid = loadResults(join(import.meta.dirname, "fixtures/plot/grid"));

/** The event table's rows: [t, event] (continuation lines joined to their event). */
function events(txt: string): [string, string][] {
  const lines = txt.split("\n");
  const start = lines.findIndex((l) => /^ *t \(s\) +event$/.test(l)) + 2;
  const rows: [string, string][] = [];
  for (const l of lines.slice(start)) {
    const m = /^ *(\d+\.\d{3})? {2}(.*)$/.exec(l);
    if (!m) break;
    if (m[1]) rows.push([m[1], m[2]!.trim()]);
    else rows.at(-1)![1] += ` ${m[2]!.trim()}`;
  }
  return rows;
}

test("page timeline (fixture grid, dirty-at-gup): the table names the GUP and the release, and the end says the data is lost", () => {
  const tl = timelineFromResults(grid);
  const txt = renderFigure(grid, "page-timeline", "txt");
  const rows = events(txt);
  // GUP is the row at which the page's FOLL_GET reference appears; the release the row at which it goes.
  const tr = tl.trace;
  const gup = tr.find((r, i) => i > 0 && r.gets > 0 && tr[i - 1]!.gets === 0)!;
  const rel = tr.find((r, i) => i > 0 && r.gets === 0 && tr[i - 1]!.gets > 0)!;
  assert.deepEqual(pinCalls("dirty-at-gup"), {
    gup: "get_user_pages (FOLL_GET, refcount + 1)",
    release: "put_page only", // the policy's own summary: "…; release: put_page only"
  });
  assert.ok(
    rows.some(
      ([t, e]) => t === gup.t.toFixed(3) && e === "GUP: get_user_pages (FOLL_GET, refcount + 1), dirties the page",
    ),
    txt,
  );
  assert.ok(
    rows.some(([t, e]) => t === rel.t.toFixed(3) && e === "release: put_page only, leaves it clean with mem ≠ disk"),
    txt,
  );
  // The run ran to its end (300 s) and the page's last state is clean with mem ≠ disk: sync(2)
  // writes dirty pages only, so the writes after the last writeback never reach disk.
  const last = tr.at(-1)!;
  assert.equal(last.dirty, 0);
  assert.ok(last.mem > last.disk);
  assert.match(
    txt.replace(/\n {2}/g, " "),
    new RegExp(
      `end of run \\(300 s\\): clean with mem v${last.mem} ≠ disk v${last.disk}; sync\\(2\\) does not write a clean page: its last ${last.mem - last.disk} writes never reach disk \\(lostDataFinal\\)`,
    ),
  );
  // The SVG says the same in its subtitle.
  assert.match(renderFigure(grid, "page-timeline", "svg"), /release at 134 s: put_page only/);
});

test("page timeline (foll-pin): the release dirties the page and the end says when the data reached disk", () => {
  const tl = tracePage({ policy: "foll-pin", pinDuration: 60, duration: 600, seed: 3 });
  const rows = events(pageTimelineText(tl));
  assert.ok(rows.some(([, e]) => e === "GUP: pin_user_pages (FOLL_PIN, refcount + bias), dirties the page"));
  assert.ok(rows.some(([, e]) => e === "release: unpin_user_pages_dirty_lock, dirties the page"));
  // Saved: the last row has mem == disk; it got there at the last row whose predecessor differed.
  const tr = tl.trace;
  let i = tr.length - 1;
  while (i > 0 && tr[i - 1]!.mem === tr[i - 1]!.disk) i--;
  assert.equal(tr.at(-1)!.mem, tr.at(-1)!.disk);
  assert.equal(endOfRun(tl), `end of run (600 s): saved, on disk since ${tr[i]!.t.toFixed(3)} s (${tr[i]!.event})`);
});

test("page timeline (ext4-bug): a run stopped by BUG() says so at its end instead of a fate it never reached", () => {
  const p = {
    policy: "legacy-put-page",
    fsBehavior: "ext4-bug",
    reclaimRate: 0.005,
    duration: 1800,
    seed: 1,
    files: 4,
    pagesPerFile: 8,
  } as const;
  const crashedAt = simulate(p).crashedAt;
  assert.ok(crashedAt !== null && crashedAt < 1800);
  const tl = tracePage(p);
  assert.deepEqual(tl.end, { t: crashedAt, crashedAt });
  assert.match(endOfRun(tl)!, /^end of run \(89\.9 s\): the run stopped at the ext4 BUG\(\)/);
  assert.ok(
    events(pageTimelineText(tl)).some(([, e]) => e.startsWith("release: set_page_dirty_lock always, put_page")),
  );
});
