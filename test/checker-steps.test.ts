// The checker's step tables are sound (src/checker/actors/program.ts). The partial-order
// reduction (src/checker/search.ts) explores one persistent set of actors per state; it
// keeps every end state only if each step touches no more than its declared footprint
// and goes nowhere but its declared successors (an actor's future footprint is the union
// over those successors: footprint.ts futures). So every step of every scenario in
// data/scenarios, under every policy and variant, with and without the reduction, runs
// under a wrapper that snapshots the page and the registers around it and checks:
//   1. the pc has an entry in the actor's table, and the footprint in the current state
//      lies within the entry's declared footprint;
//   2. a step that returns BLOCKED changed nothing (search.ts skips its successor);
//   3. the pc after the step is DONE or one of the entry's declared successors;
//   4. every page variable that changed is among the footprint's writes (each PageCache
//      field mapped to its PAGE_VAR bit, as footprint.ts documents them);
//   5. no other actor's register changed, but for the `io` actor's queue, and then the
//      footprint writes IOQ.
// Reads leave no trace in a state diff and are not checked here. Two planted faults (a
// write left out of a footprint, a successor left out of a table) show the checks fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  BLOCKED,
  DONE,
  PAGE_VAR,
  Program,
  TableActor,
  initialCache,
  checkerEnv,
  DEFAULT_COVERAGE,
  loadScenarioDir,
  parseScenario,
  runScenario,
  type Actor,
  type ActorSpec,
  type Scenario,
  type Step,
  type StepContext,
} from "../src/checker/index.js";
import { PG, type PageCache } from "../src/model/page-cache.js";
import { getPolicy } from "../src/policies/index.js";

const SCENARIOS = fileURLToPath(new URL("../data/scenarios", import.meta.url));

/** Each page-state field of PageCache (state.ts's encoding) and the PAGE_VAR it belongs to. */
const FIELD_VAR: Record<string, number> = {
  locked: PAGE_VAR.LOCK,
  dirty: PAGE_VAR.DIRTY,
  // PG_dirty again as a bitmap (PageRecord.dirtyWords, the engine's writeback scan).
  dirtyWords: PAGE_VAR.DIRTY,
  inodeDirty: PAGE_VAR.DIRTY,
  dirtyPages: PAGE_VAR.DIRTY,
  totalDirty: PAGE_VAR.DIRTY,
  writeback: PAGE_VAR.WB,
  bounced: PAGE_VAR.WB,
  io: PAGE_VAR.WB,
  disk: PAGE_VAR.DISK,
  written: PAGE_VAR.DISK,
  mem: PAGE_VAR.MEM,
  pteWritable: PAGE_VAR.PTE,
  mapped: PAGE_VAR.PTE,
  notifierSeq: PAGE_VAR.PTE,
  // page_mapcount while mapped: set once by initPage, never by a step.
  shares: PAGE_VAR.PTE,
  refcount: PAGE_VAR.REF,
  pins: PAGE_VAR.REF,
  // derived from pins and gets (PageRecord PG.gupHeld)
  gupHeld: PAGE_VAR.REF,
  gets: PAGE_VAR.REF,
  transient: PAGE_VAR.REF,
  buffers: PAGE_VAR.BUF,
  attached: PAGE_VAR.MAP,
  resident: PAGE_VAR.MAP,
  // btrfs's delalloc range: made by the write fault, turned into an ordered extent by writeback.
  delalloc: PAGE_VAR.DIRTY,
  notifierPins: PAGE_VAR.NOTIFY,
  notifying: PAGE_VAR.NOTIFY,
  // anonymous memory and fork (issue 22)
  swapCache: PAGE_VAR.ANON,
  anonExclusive: PAGE_VAR.ANON,
  ownerMoved: PAGE_VAR.ANON,
  ownerZapped: PAGE_VAR.ANON,
  cowCopy: PAGE_VAR.ANON,
  mmHasPinned: PAGE_VAR.ANON,
  dioSources: PAGE_VAR.DIO,
};
/** Fields state.ts leaves out of a state (times, counters, shape, engine-only traces): no step's footprint covers them. */
/** The page record and its views (PageRecord): their fields are FIELD_VAR's flags, refcount, mem, disk, io, or NOT_STATE's. */
const RECORD = ["page", "pageRefs", "pageTimes"];
const NOT_STATE = new Set([
  "dirtySince",
  "dirtiedWhen",
  "now",
  "counters",
  "files",
  "pagesPerFile",
  "pages",
  "bias",
  "cleanWrites",
  "crashedAt",
  "lastDecision",
  "dirtiedInCleanInode",
  "pinAdd",
]);
const FIELDS = Object.keys(FIELD_VAR);
const VAR_NAME = Object.fromEntries(Object.entries(PAGE_VAR).map(([k, v]) => [v, k]));

/** Page 0's value of each field of FIELDS (a field of the page record through its accessor). */
function snapshot(c: PageCache): number[] {
  const rec = c as unknown as Record<string, ArrayLike<number> | number | ((p: number) => number)>;
  return FIELDS.map((f) => {
    const v = rec[f];
    return typeof v === "number" ? v : typeof v === "function" ? v.call(c, 0) : v[0];
  });
}

/** The PAGE_VAR bits whose fields differ between two snapshots. */
function changedVars(a: number[], b: number[]): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) bits |= FIELD_VAR[FIELDS[i]];
  return bits;
}

const names = (bits: number): string =>
  Object.entries(VAR_NAME)
    .filter(([v]) => Number(v) !== PAGE_VAR.ALL && bits & Number(v))
    .map(([, n]) => n)
    .join("|");

/** What the checks saw over a run: steps checked, per actor kind the pcs run and the successors met, and the faults. */
class Audit {
  steps = 0;
  readonly ran = new Map<string, Set<number>>();
  readonly programs = new Map<string, Program>();
  readonly faults: string[] = [];
  where = "";

  fault(msg: string): void {
    if (this.faults.length < 20) this.faults.push(`${this.where}: ${msg}`);
  }

  /** The wrapper of an actor for checkConfig's wrapActor: the same actor, each step checked. */
  wrap = (a: Actor): Actor => {
    assert.ok(a instanceof TableActor, `${a.title}: every actor runs from a step table`);
    this.programs.set(a.program.name, a.program);
    return new Checked(a, this);
  };
}

/** An actor that runs its table's steps and checks each against its entry. */
class Checked implements Actor {
  readonly name: string;
  readonly title: string;
  readonly size: number;
  readonly daemon?: boolean;

  constructor(
    private readonly a: TableActor,
    private readonly audit: Audit,
  ) {
    this.name = a.name;
    this.title = a.title;
    this.size = a.size;
    if (a.daemon) this.daemon = true;
  }

  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    this.a.init(r, o, ctx, spec);
    if (r[o] !== DONE && !this.a.program.steps.has(r[o]))
      this.audit.fault(`${this.title} starts at pc ${r[o]}, no step`);
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    return this.a.footprint(ctx, r, o);
  }

  future(r: Int32Array, o: number): number {
    return this.a.future(r, o);
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const { audit, a } = this;
    const pc = r[o],
      entry = a.program.steps.get(pc),
      at = `${a.program.name} pc ${pc}`;
    if (!entry) {
      audit.fault(`${at}: no step in the table`);
      return a.step(ctx, r, o);
    }
    const fp = a.footprint(ctx, r, o);
    if ((fp & ~entry.footprint) !== 0)
      audit.fault(`${at}: footprint now ${fp} outside the declared ${entry.footprint}`);
    const page = snapshot(ctx.cache),
      regs = Int32Array.from(r);
    const label = a.step(ctx, r, o);
    audit.steps++;
    const changed = changedVars(page, snapshot(ctx.cache));
    const others = [...r.keys()].filter((i) => (i < o || i >= o + a.size) && r[i] !== regs[i]);
    if (label === BLOCKED) {
      if (changed || r.some((v, i) => v !== regs[i])) audit.fault(`${at}: BLOCKED but changed ${names(changed)}`);
      return label;
    }
    let ran = audit.ran.get(a.program.name);
    if (!ran) audit.ran.set(a.program.name, (ran = new Set()));
    ran.add(pc);
    if (r[o] !== DONE && !entry.next.includes(r[o])) audit.fault(`${at}: went to pc ${r[o]}, not a declared successor`);
    const writes = fp >>> 16;
    if (changed & ~writes) audit.fault(`${at}: wrote ${names(changed & ~writes)} outside its footprint's writes`);
    for (const i of others)
      if (i !== ctx.ioQueue || !(writes & PAGE_VAR.IOQ)) audit.fault(`${at}: wrote register ${i} of another actor`);
    return label;
  }
}

/**
 * Run every policy and variant of the scenarios under the audit. Without the reduction:
 * the reduced search runs a subset of the same steps from the same states.
 */
function audit(scenarios: Scenario[], wrap?: (audit: Audit) => (a: Actor) => Actor): Audit {
  const au = new Audit();
  for (const s of scenarios) {
    au.where = s.name;
    runScenario(s, { reduce: false, wrapActor: wrap ? wrap(au) : au.wrap });
  }
  return au;
}

/**
 * What no file of data/scenarios runs: the `io` actor (the flusher's and reclaim's bios
 * completed by it), reclaim writing a dirty page no pin holds, under block-bounce too
 * (its bounce at submit_bio), and the policy's afterGrab as a step of its own (`hook=after`).
 */
const EXTRA = [
  [
    "Scenario: io-completion",
    "Policies: foll-pin block-bounce",
    "Page: dirty | pte-writable",
    "Actor P0: gup dma=0..1",
    "Actor P1: flusher passes=2 sync=none|all",
    "Actor P2: reclaim",
    "Actor P3: io",
  ],
  [
    "Scenario: hook-after",
    "Policies: dirty-at-gup foll-pin",
    "Actor P0: gup path=slow|fast dma=1 hook=after",
    "Actor P1: flusher",
  ],
  [
    "Scenario: io-reclaim",
    "Policies: foll-pin block-bounce",
    "Page: dirty",
    "Actor P0: reclaim",
    "Actor P1: cpu",
    "Actor P2: io",
  ],
  [
    // The MMU notifier of an invalidation that holds no page lock (munmap), and of
    // invalidate_inode_pages2's unmap, with a GUP user whose release the notifier runs.
    "Scenario: notifier-paths",
    "Kernel: 4.19",
    "Page: clean | pte-writable",
    "Actor P0: gup dma=0..1 caller=gpu-userptr notifier=yes busy=no|yes",
    "Actor P1: munmap",
    "Actor P2: invalidate mode=pages2|mapping",
  ],
].map((lines) => parseScenario(lines.join("\n")));

/**
 * Steps no execution reaches, and why: reclaim's submit_bio bounce (block-bounce bounces
 * at the bio only a page folio_maybe_dma_pinned finds pinned, and pageout writes no page
 * another holds: is_page_cache_freeable), and the GUP user's hang (NOTIFIER_STEP.HUNG: a
 * notifier release asleep on the page lock its own invalidating path holds only ever blocks).
 */
const UNREACHED = ["gup pc 14", "reclaim pc 15"];

test("every step of every actor stays within its declared footprint and successors, over data/scenarios and more", () => {
  const au = audit([...loadScenarioDir(SCENARIOS), ...EXTRA]);
  assert.deepEqual(au.faults, []);
  // Every actor kind ran, and every step of its table ran at least once: the property is not vacuous.
  assert.deepEqual([...au.ran.keys()].sort(), [
    "cpu",
    "flusher",
    "fork",
    "gup",
    "invalidate",
    "io",
    "madvise",
    "munmap",
    "reclaim",
    "truncate",
  ]);
  const notRun: string[] = [];
  for (const [name, p] of au.programs)
    for (const pc of p.steps.keys()) if (!au.ran.get(name)?.has(pc)) notRun.push(`${name} pc ${pc}`);
  assert.deepEqual(notRun, UNREACHED);
  assert.ok(au.steps > 1e6, `${au.steps} steps checked`);
});

test("the snapshot covers every field of the page's state", () => {
  // A field added to PageCache must be mapped to its PAGE_VAR here (or be one state.ts leaves out).
  const knobs = { guard: null, fs: "ext4-warn", stable: false } as const;
  const c = initialCache(checkerEnv(getPolicy("foll-pin"), knobs, DEFAULT_COVERAGE), CLEAN);
  const fields = Object.entries(c)
    .filter(([, v]) => ArrayBuffer.isView(v) || typeof v === "number")
    .map(([k]) => k);
  assert.deepEqual(
    fields.filter((k) => !(k in FIELD_VAR) && !NOT_STATE.has(k) && !RECORD.includes(k)),
    [],
  );
  // The page record's flags word: each PG flag is a field of its own here.
  assert.deepEqual(
    Object.keys(PG).filter((k) => !(k in FIELD_VAR)),
    [],
  );
});

const CLEAN = { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 };

/** A flusher whose table has one entry changed: the planted fault. */
function planted(a: TableActor, pc: number, change: (s: Step) => Step): TableActor {
  const steps = Object.fromEntries([...a.program.steps].map(([k, s]) => [k, k === pc ? change(s) : s]));
  const program = new Program(a.program.name, steps);
  return new (class extends TableActor {
    readonly size = a.size;
    init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
      a.init(r, o, ctx, spec);
    }
  })(program, a.name, a.title);
}

test("the checks catch a write left out of a footprint and a successor left out of a table", () => {
  // A flusher and a CPU writer over a dirty page: the flusher's lock_page step (pc 1)
  // writes PG_locked and goes on to its checks (pc 2).
  const s = parseScenario(
    ["Scenario: planted", "Policies: foll-pin", "Page: dirty", "Actor P0: flusher", "Actor P1: cpu"].join("\n"),
  );
  const lockPc = 1;
  const withFault = (change: (st: Step) => Step) => (au: Audit) => (a: Actor) =>
    au.wrap(a instanceof TableActor && a.program.name === "flusher" ? planted(a, lockPc, change) : a);
  const noLockWrite = audit(
    [s],
    withFault((st) => ({ ...st, footprint: st.footprint & ~(PAGE_VAR.LOCK << 16), now: undefined })),
  );
  assert.ok(
    noLockWrite.faults.some((f) => f.includes("flusher pc 1: wrote LOCK outside its footprint's writes")),
    noLockWrite.faults.join("\n"),
  );
  const noSuccessor = audit(
    [s],
    withFault((st) => ({ ...st, next: st.next.filter((n) => n !== 2) })),
  );
  assert.ok(
    noSuccessor.faults.some((f) => f.includes("flusher pc 1: went to pc 2, not a declared successor")),
    noSuccessor.faults.join("\n"),
  );
  // The same scenario with the tables as they are: no fault.
  assert.deepEqual(audit([s]).faults, []);
});
