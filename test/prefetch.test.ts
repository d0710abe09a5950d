/**
 * The engine's read-ahead (src/engine/prefetch.ts): drawing ahead must give the very draws
 * of one event at a time, and reading ahead must change nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DrawAhead, ReadAhead } from "../src/engine/prefetch.js";
import { EventQueue } from "../src/engine/queue.js";
import { Streams } from "../src/engine/random.js";
import { PageCache } from "../src/model/page-cache.js";
import { runEnv } from "../src/model/env.js";
import { getPolicy } from "../src/policies/index.js";

test("DrawAhead's folios and gaps are the stream's draws one event at a time (folio, gap, folio…)", () => {
  const pages = 1000,
    rate = 2.5;
  const ahead = new DrawAhead(new Streams(9, 4), 2, pages, rate, new Uint32Array(8 * pages), new Int8Array(pages));
  const one = new Streams(9, 4);
  // 37 events: several refills of 8 and one left part-way; the other streams are not drawn.
  for (let e = 0; e < 37; e++) {
    assert.equal(ahead.folio(), Math.floor(one.uniform(2) * pages), `folio of event ${e}`);
    assert.equal(ahead.gap(), one.gap(2, rate), `gap of event ${e}`);
  }
});

test("ReadAhead reads records and the FIFO lane without changing them", () => {
  const env = runEnv({
    kernel: null,
    backing: "ext4",
    mapping: "shared",
    folioOrder: 0,
    policy: getPolicy("foll-pin"),
  });
  const pc = new PageCache({ files: 2, pagesPerFile: 40, bias: 1024, env });
  for (let p = 0; p < pc.pages; p++) pc.initPage(p, 1, 0);
  for (const p of [3, 17, 33, 39, 41]) pc.setPageDirty(p);
  const before = Uint32Array.from(pc.page);
  const q = new EventQueue(4);
  for (let i = 0; i < 20; i++) q.pushFifo(i, 6, (i * 7) % pc.pages);
  assert.equal(q.fifoLength, 20);
  assert.equal(q.fifoArg(3), 21);
  const ra = new ReadAhead(pc);
  ra.dirty(0, 40, 10);
  for (let i = 0; i < 20; i++) ra.fifo(q);
  assert.deepEqual(pc.page, before);
  assert.equal(q.fifoLength, 20);
  // nextDirty, which ReadAhead.dirty walks: the dirty folios in order, bounded by `end`.
  assert.equal(pc.nextDirty(0, 40), 3);
  assert.equal(pc.nextDirty(4, 40), 17);
  assert.equal(pc.nextDirty(34, 40), 39);
  assert.equal(pc.nextDirty(40, 80), 41);
  assert.equal(pc.nextDirty(42, 80), 80);
});
