/**
 * Properties that hold after every event, for any parameters (fast-check).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { simulate } from "../src/engine/index.js";
import { METRICS, type MetricName } from "../src/model/metrics.js";
import type { PageCache } from "../src/model/page-cache.js";
import { POLICY_IDS } from "../src/model/policy-ids.js";

/** Small systems with every actor switched on at random. */
const smallParams = fc.record({
  policy: fc.constantFrom(...POLICY_IDS),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  duration: fc.integer({ min: 20, max: 150 }),
  files: fc.integer({ min: 1, max: 4 }),
  pagesPerFile: fc.integer({ min: 4, max: 8 }),
  pagesPerPin: fc.integer({ min: 1, max: 4 }),
  pinners: fc.integer({ min: 0, max: 4 }),
  pinDuration: fc.constantFrom(5, 40, "exp:20", "uniform:1:50"),
  pinGap: fc.constantFrom(0, 3, "exp:5"),
  longTerm: fc.boolean(),
  gupPath: fc.constantFrom("slow", "fast", "fast-no-recheck"),
  dmaWriteRate: fc.constantFrom(0, 0.5, 3),
  cpuWriteRate: fc.constantFrom(0, 0.05, 0.3),
  shareCount: fc.constantFrom(0, 1, 1021, "zipf:1.1:2000"),
  transientRefs: fc.constantFrom(0, 2),
  writebackInterval: fc.constantFrom(0, 1, 5),
  dirtyExpire: fc.constantFrom(0, 3, 30),
  hz: fc.constantFrom(0, 250),
  writebackLatency: fc.constantFrom(0, 0.01, 0.5, "exp:0.2"),
  dirtyBackgroundPages: fc.constantFrom(0, 3),
  fsyncRate: fc.constantFrom(0, 0.05),
  reclaimRate: fc.constantFrom(0, 0.02, 0.2),
  reclaimGuard: fc.constantFrom(null, true, false),
  truncateRate: fc.constantFrom(0, 0.01),
  stableWrites: fc.boolean(),
  fsBehavior: fc.constantFrom("ext4-bug", "ext4-warn"),
});

/** Every invariant of MODEL.md §2 that must hold between events; returns the first violation. */
function violation(pc: PageCache): string | null {
  for (let p = 0; p < pc.pages; p++) {
    const where = `page ${p} at t=${pc.now}`;
    if (pc.refcount(p) !== pc.refcountFormula(p))
      return `${where}: refcount ${pc.refcount(p)} != formula ${pc.refcountFormula(p)}`;
    if (pc.pins[p] < 0 || pc.gets[p] < 0) return `${where}: negative pins/gets`;
    // PG.gupHeld is derived: set exactly while the folio holds a GUP reference.
    if (pc.gupHeld(p) !== (pc.pins[p] + pc.gets[p] > 0 ? 1 : 0))
      return `${where}: gupHeld ${pc.gupHeld(p)} with pins+gets ${pc.pins[p] + pc.gets[p]}`;
    if (!pc.resident(p)) continue;
    if (pc.writeback(p)) {
      // Under writeback the I/O holds a captured version: disk <= io <= mem.
      if (!(pc.disk(p) <= pc.io(p) && pc.io(p) <= pc.mem(p)))
        return `${where}: writeback without io captured (disk ${pc.disk(p)} io ${pc.io(p)} mem ${pc.mem(p)})`;
    } else if (pc.io(p) !== pc.disk(p)) return `${where}: io ${pc.io(p)} left behind without writeback`;
    if (pc.disk(p) > pc.mem(p)) return `${where}: disk ahead of memory`;
    if (pc.pteWritable(p) && !pc.dirty(p) && pc.attached(p)) return `${where}: writable pte on a clean page`;
    if (pc.locked(p)) return `${where}: page left locked between events`;
  }
  // The engine's bitmap of PG_dirty (PageRecord.dirtyWords, read by writeback's nextDirty) is PG_dirty.
  for (let p = 0; p < pc.pages; p++)
    if (((pc.dirtyWords[p >>> 5] >>> (p & 31)) & 1) !== pc.dirty(p))
      return `page ${p} at t=${pc.now}: dirtyWords bit ${(pc.dirtyWords[p >>> 5] >>> (p & 31)) & 1}, PG_dirty ${pc.dirty(p)}`;
  let dirty = 0;
  for (let f = 0; f < pc.files; f++) {
    let n = 0;
    for (let p = f * pc.pagesPerFile; p < (f + 1) * pc.pagesPerFile; p++)
      if (pc.dirty(p) && pc.attached(p) && pc.resident(p)) n++;
    if (n !== pc.dirtyPages[f]) return `file ${f}: dirtyPages ${pc.dirtyPages[f]} but ${n} dirty pages`;
    if (n > 0 && !pc.inodeDirty[f]) return `file ${f}: dirty pages in a clean inode`;
    dirty += n;
  }
  if (dirty !== pc.totalDirty) return `totalDirty ${pc.totalDirty} != ${dirty}`;
  for (let i = 0; i < pc.counters.length; i++) if (pc.counters[i] < 0) return `counter ${i} negative`;
  return null;
}

test("after every event the refcount equals its formula and the page state is consistent", () => {
  fc.assert(
    fc.property(smallParams, (params) => {
      let bad: string | null = null;
      let events = 0;
      simulate(params, {
        onEvent: (pc) => {
          events++;
          if (!bad) bad = violation(pc);
        },
      });
      assert.equal(bad, null, `${bad} with ${JSON.stringify(params)}`);
      assert.ok(events >= 1);
    }),
    { numRuns: 60, seed: 20261125 },
  );
});

test("incidents are never negative, rates never exceed their denominators", () => {
  fc.assert(
    fc.property(smallParams, (params) => {
      const r = simulate(params);
      for (const m of METRICS) {
        const v = r.metrics[m.name];
        if (v === null) continue;
        assert.ok(Number.isFinite(v) && v >= 0, `${m.name} = ${v}`);
        if (m.per && r.metrics[m.per] !== null && m.name !== "deviceRefaults") {
          assert.ok(v <= (r.metrics[m.per as MetricName] as number), `${m.name} ${v} > ${m.per}`);
        }
      }
    }),
    { numRuns: 60, seed: 7 },
  );
});

test("the same seed gives byte-identical JSON; another seed does not", () => {
  fc.assert(
    fc.property(smallParams, (params) => {
      const a = JSON.stringify(simulate(params));
      const b = JSON.stringify(simulate(structuredClone(params)));
      assert.equal(a, b);
    }),
    { numRuns: 30, seed: 3 },
  );
  const base = { policy: "foll-pin", duration: 300 } as const;
  assert.notEqual(
    JSON.stringify(simulate({ ...base, seed: 1 }).metrics),
    JSON.stringify(simulate({ ...base, seed: 2 }).metrics),
  );
});
