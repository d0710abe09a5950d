/**
 * The engine's sparse per-page state (issue 23): PageTimes (a hash table of page → time)
 * agrees with a Map under any sequence of sets, gets and deletes, through growth and
 * backward-shift deletion; WritebackEnds names the latest I/O's end event exactly as a
 * time per page would (the rule the engine had: an event ends the I/O when the latest
 * writeback started on the page ends at the event's time); folioBytes is the bytes of
 * the per-folio arrays a Simulation allocates.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PageTimes } from "../src/model/page-times.js";
import { WritebackEnds } from "../src/engine/writeback-ends.js";
import { PAGE_STRIDE } from "../src/model/page-record.js";
import { Simulation } from "../src/engine/simulation.js";
import { engineEnv } from "../src/engine/simulate.js";
import { resolveParams, type ParamsInput } from "../src/model/params.js";
import { folioBytes } from "../src/model/budget.js";
import { getPolicy } from "../src/policies/index.js";

test("PageTimes agrees with a Map under sets, deletes and growth", () => {
  // Keys from a small range collide often (long probe runs), from a block of 8 share a home
  // block: both stress the backward shift.
  const op = fc.record({ kind: fc.constantFrom("set", "set", "delete", "get"), page: fc.nat(300), t: fc.double() });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const t = new PageTimes(16);
      const m = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === "set") t.set(o.page, o.t), m.set(o.page, o.t);
        else if (o.kind === "delete") t.delete(o.page), m.delete(o.page);
        assert.equal(t.size, m.size);
        assert.ok(Object.is(t.get(o.page), m.has(o.page) ? m.get(o.page) : Number.NaN));
      }
      for (let p = 0; p <= 300; p++) assert.ok(Object.is(t.get(p), m.has(p) ? m.get(p) : Number.NaN));
    }),
  );
});

test("PageTimes indexOf, at and setAt address the entry get and set do", () => {
  const t = new PageTimes(16);
  for (let p = 0; p < 100; p++) t.set(p * 8, p);
  const i = t.indexOf(40);
  assert.equal(t.at(i), 5);
  t.setAt(i, 9.5);
  assert.equal(t.get(40), 9.5);
  assert.equal(t.indexOf(41), -1);
});

test("WritebackEnds: an end event is the latest I/O's exactly when a per-page end time says so", () => {
  // Reference: wbEnd[p] = end of the latest start; an event at time t is the latest's iff
  // wbEnd[p] === t. Events fire in time order (a queue), starts at any time before their end.
  const step = fc.record({ page: fc.nat(3), latency: fc.constantFrom(0, 1, 2, 5), startOrFire: fc.boolean() });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), fc.boolean(), (steps, keep) => {
      const w = new WritebackEnds(new Uint32Array(4 * PAGE_STRIDE), keep);
      const wbEnd = new Float64Array(4).fill(Number.NaN);
      const queue: { t: number; p: number }[] = [];
      let now = 0;
      const fire = () => {
        queue.sort((a, b) => a.t - b.t);
        const e = queue.shift()!;
        now = e.t;
        assert.equal(w.ended(e.p, e.t), wbEnd[e.p] === e.t);
      };
      for (const s of steps) {
        if (s.startOrFire || queue.length === 0) {
          const end = now + s.latency;
          w.started(s.page, end);
          wbEnd[s.page] = end;
          queue.push({ t: end, p: s.page });
          if (keep) assert.equal(w.endOf(s.page), end);
        } else fire();
      }
      while (queue.length > 0) fire();
    }),
  );
});

test("folioBytes is the bytes of every per-folio typed array the engine allocates", () => {
  const cases: ParamsInput[] = [
    { files: 64, pagesPerFile: 64 },
    { files: 64, pagesPerFile: 64, policy: "mmu-notifier" },
    { files: 16, pagesPerFile: 64, backing: "btrfs", shareCount: "uniform:0:300" },
    {
      files: 16,
      pagesPerFile: 64,
      pinnerGroups: [
        { caller: "rdma", pinners: 4, pagesPerPin: 8, dmaWriteRate: 1 },
        { caller: "odirect", pinners: 8, pagesPerPin: 4, dmaWriteRate: 5 },
      ],
    },
    { files: 16, pagesPerFile: 512, pinners: 70000, pagesPerPin: 1, folioOrder: 0 },
    // Issue 22: anonymous memory with forks (the generation per slot is AnonMemory's), an
    // O_DIRECT write's sources.
    { files: 16, pagesPerFile: 64, backing: "anon", forkRate: 0.1 },
    { files: 16, pagesPerFile: 64, backing: "anon", caller: "odirect", pinAccess: "read" },
  ];
  for (const c of cases) {
    const p = resolveParams(c);
    const sim = new Simulation(p, engineEnv(p, getPolicy(p.policy)), {});
    const n = sim.pc.pages;
    let bytes = 0;
    const seen = new Set<ArrayBufferLike>(); // a view over another array (dirty as words) counts once
    const owners = [
      sim.pc,
      sim,
      (sim as never as { wbEnds: object }).wbEnds,
      sim.groups,
      (sim as never as { dma: object }).dma,
      (sim as never as { anon?: object }).anon ?? {},
    ];
    for (const o of owners)
      for (const v of Object.values(o))
        if (ArrayBuffer.isView(v) && v.byteLength > 0 && v.byteLength % n === 0 && !seen.has(v.buffer)) {
          seen.add(v.buffer);
          bytes += v.byteLength / n;
        }
    assert.equal(folioBytes(p), bytes, JSON.stringify(c));
  }
});
