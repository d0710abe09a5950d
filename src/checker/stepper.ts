/**
 * What the one-thread search (search.ts) and each worker of the parallel search
 * (parallel-worker.ts) share: the expansion of one packed state (every live actor's next
 * step, the persistent set of the partial-order reduction), the judgement of an end
 * state, and a witness's steps from the packed states of its path.
 */
import type { PageCache } from "../model/page-cache.js";
import { BLOCKED, DONE, LABELS, type Program, TableActor, type Actor, type StepContext } from "./actors/index.js";
import {
  MASK_BITS,
  PAGE_WORDS,
  checkCodecCovers,
  decodePage,
  decodePageWords,
  encodePage,
  maskOf,
  regWords,
} from "./state.js";
import { incidentMask, maskNames, takeIncidentMask } from "./verdict.js";
import type { SearchInput, WitnessStep } from "./search.js";

/**
 * A persistent set (Godefroid 1996, ch. 4; a conditional stubborn set): start from one
 * enabled actor; an enabled member pulls in every actor any of whose remaining steps
 * conflicts with its next step (one writes what the other reads or writes); a blocked
 * member pulls in every actor that may still write what its next step reads (who could
 * unblock it). Exploring only the enabled members preserves every terminal and deadlocked
 * state, so every verdict. Returns the bit set of actors, the smallest over the seeds.
 */
export function persistentSet(enabled: number, live: number, now: Int32Array, fut: Int32Array): number {
  const n = now.length;
  // pull[p]: the live actors that p, as a member, pulls in (the relation does not depend on the seed)
  for (let p = 0; p < n; p++) {
    if (!(live & (1 << p))) continue;
    const r = now[p] & 0xffff,
      w = now[p] >>> 16,
      on = (enabled >> p) & 1;
    let m = 0;
    for (let q = 0; q < n; q++) {
      if (q === p || !(live & (1 << q))) continue;
      const fr = fut[q] & 0xffff,
        fw = fut[q] >>> 16;
      if (on ? (w & (fr | fw)) | (r & fw) : r & fw) m |= 1 << q;
    }
    PULL[p] = m;
  }
  let best = enabled,
    bestSize = 33;
  for (let seed = 0; seed < n; seed++) {
    if (!(enabled & (1 << seed))) continue;
    let set = 1 << seed,
      todo = set;
    while (todo) {
      const p = 31 - Math.clz32(todo);
      todo &= ~(1 << p);
      const add = PULL[p] & ~set;
      (set |= add), (todo |= add);
    }
    const size = popcount(set & enabled);
    if (size < bestSize) (best = set & enabled), (bestSize = size);
    if (size === 1) break;
  }
  return best;
}

/** A TableActor whose views are TableActor's own (none overridden): stepAll may read its Program directly. */
function isPlainTable(a: Actor): a is TableActor {
  const t = TableActor.prototype;
  return a instanceof TableActor && a.step === t.step && a.footprint === t.footprint && a.future === t.future;
}

/**
 * The register words (indices after the page words) a step of an actor with registers
 * [first, first + size) may read or write, each with the mask of those bytes: its own, and
 * the io actor's queue register (`ioQueue`, -1 without one), which the flusher and reclaim
 * set when they submit a bio (writeback.ts); a step touches no other (the Actor contract).
 * In word order. @throws Error past 4 words, or past word 31 (128 registers; a scenario has
 * at most 8 actors)
 */
function touchedWords(name: string, first: number, size: number, ioQueue: number): [number, number][] {
  const bytes = new Map<number, number>();
  const add = (i: number) => bytes.set(i >> 2, (bytes.get(i >> 2) ?? 0) | (255 << ((i & 3) << 3)));
  for (let i = first; i < first + size; i++) add(i);
  if (ioQueue >= 0) add(ioQueue);
  if (bytes.size > 4) throw new Error(`checker: actor ${name}'s registers span more than 4 words`);
  if (first + size > 128 || ioQueue >= 128) throw new Error("checker: more than 128 registers");
  return [...bytes].sort((x, y) => x[0] - y[0]);
}

/**
 * The transition cache (Stepper.stepAll): what an actor's next step did from a page and
 * registers of its own, kept the first time it runs and replayed when the same actor meets
 * them again in another state (the other actors' registers differ). A step reads and writes
 * only the page's encoded fields, its own registers and the io queue (Actor.step's
 * contract) and the search's constants, so the replay is exact: the same states, in the same
 * order. Direct-mapped, each slot overwritten by the next key that maps to it, small enough
 * to stay in a core's L2 (2^14 slots of 88 bytes: 1.4 MiB; 2^12-2^15 measured alike, 2^16
 * slower, the table spilling to L3). A slot: tag (the key's hash | 1, 0 empty), the key (the
 * actor, page words 0-2, word 3 without the incident mask, the actor's register words masked
 * to its bytes, 4 at most: 10 words), then the value (moved, label, footprint now, future,
 * the successor's page words (word 3 with the step's own incidents), its register words'
 * bytes: 12 words).
 */
const MEMO_SLOTS = 1 << 14;
const MEMO_KEY = 10;
const MEMO_STRIDE = MEMO_KEY + 12;

/** persistentSet's scratch: per actor, the actors it pulls in. */
const PULL = new Int32Array(32);

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** A witness: the steps from a root to an end state, and that root's choices. */
export type Found = { steps: WitnessStep[]; choices: string[] };

/** One packed state of a witness's path: its words (`W` from `o`) and the step that led to it (`actor << 16 | label`; a root's index for the root). */
export type PathState = { data: Int32Array; o: number; via: number };

/**
 * The expansion of packed states over one page cache: words per state `W` (page words,
 * register words, the root's tag), the successor of each actor that moved, and the
 * reduction's footprints.
 */
export class Stepper {
  protected readonly ctx: StepContext;
  protected readonly actors: Actor[];
  protected readonly cache: PageCache;
  /** Each actor's first register. */
  protected readonly offsets: Int32Array;
  /** Each TableActor's Program (its views are read from it in stepAll), null for another Actor. */
  private readonly tables: (Program | null)[];
  /** The daemon actors' bit set. */
  private readonly daemons: number;
  /** Words per state: page words, register words, then the root's tag (1: off the policy's spec). */
  readonly W: number;
  /** The packed state being built. */
  protected readonly buf: Int32Array;
  /** The registers of the state being expanded, and the copy an actor's step changes. */
  protected readonly regs: Int32Array;
  protected readonly r: Int32Array;
  protected readonly reduce: boolean;
  /** Per actor, for the expansion of one state: next step's footprint, remaining steps' footprint, successor and label. */
  protected readonly now: Int32Array;
  protected readonly fut: Int32Array;
  readonly succ: Int32Array;
  readonly succLabel: Int32Array;
  /** After stepAll: actors not finished, and whether one of them is not a daemon. */
  protected live = 0;
  protected waiting = false;
  /**
   * The page words the cache holds decoded when `heldOk` (stepAll leaves the cache as its
   * last successor; the next stepAll decodes only the words that differ). Whatever else
   * changes the cache (a root, an end state's sync, a witness) clears heldOk.
   */
  private readonly held = new Int32Array(PAGE_WORDS);
  private heldOk = false;
  /** Per actor, the bit set of register words its steps may change (touchedWords). */
  private readonly stepWords: Int32Array;
  private readonly memoWord: Int32Array;
  private readonly memoByte: Int32Array;
  private readonly memoN: Int32Array;
  /** Whether stepAll uses the transition cache (SearchInput.memo). */
  private readonly memoOn: boolean;
  private readonly memo: Int32Array;
  /** The key being looked up: 9 words, then its hash | 1 (the slot's tag). */
  private readonly memoK = new Int32Array(MEMO_KEY);

  constructor(protected readonly input: SearchInput) {
    this.ctx = input.ctx;
    this.actors = input.actors;
    this.cache = input.ctx.cache;
    checkCodecCovers(this.cache);
    let nRegs = 0;
    this.offsets = new Int32Array(this.actors.length);
    this.actors.forEach((a, k) => ((this.offsets[k] = nRegs), (nRegs += a.size)));
    this.tables = this.actors.map((a) => (isPlainTable(a) ? a.program : null));
    this.daemons = this.actors.reduce((m, a, k) => (a.daemon ? m | (1 << k) : m), 0);
    this.W = PAGE_WORDS + regWords(nRegs) + 1;
    this.buf = new Int32Array(this.W);
    // a whole number of register words (the padding stays 0): four registers a word, no tail
    this.regs = new Int32Array(regWords(nRegs) * 4);
    this.r = new Int32Array(regWords(nRegs) * 4);
    const nA = this.actors.length;
    this.reduce = input.reduce === true && nA > 1;
    this.now = new Int32Array(nA);
    this.fut = new Int32Array(nA);
    this.succ = new Int32Array(nA * this.W);
    this.succLabel = new Int32Array(nA);
    // per actor the register words a step may touch (touchedWords): the successor's to encode, the cache's key
    this.stepWords = new Int32Array(nA);
    this.memoWord = new Int32Array(nA * 4);
    this.memoByte = new Int32Array(nA * 4);
    this.memoN = new Int32Array(nA);
    this.actors.forEach((act, a) => {
      const words = touchedWords(act.name, this.offsets[a], act.size, this.ctx.ioQueue);
      words.forEach(([w, m], k) => {
        this.stepWords[a] |= 1 << w;
        (this.memoWord[a * 4 + k] = w), (this.memoByte[a * 4 + k] = m);
      });
      this.memoN[a] = words.length;
    });
    this.memoOn = input.memo !== false;
    this.memo = new Int32Array(MEMO_SLOTS * MEMO_STRIDE);
  }

  /** Transition-cache lookups and hits so far (for the benchmark's figures). */
  memoLookups = 0;
  memoHits = 0;

  /** Encode the cache and `r` into out[o..) (default buf), with the incidents of `mask`. */
  protected pack(mask: number, out = this.buf, o = 0): void {
    const r = this.r;
    let bad = encodePage(this.cache, mask, out, o);
    // encodeRegs over whole words. NOTE: for performance, by hand (the inner loop's).
    for (let k = 0, w = o + PAGE_WORDS; k < r.length; k += 4, w++) {
      const a = r[k],
        b = r[k + 1],
        c = r[k + 2],
        d = r[k + 3];
      bad |= (a | b | c | d) >>> 8;
      out[w] = a | (b << 8) | (c << 16) | (d << 24);
    }
    if (bad) throw new Error("checker: a state field exceeds its encoding (src/checker/state.ts)");
  }

  /**
   * The successor of a step in out[b..): the page encoded, the register words in the bit
   * set `words` (the stepping actor's and the io queue's: the Actor contract) encoded from
   * `r`, every other word (the other actors' registers, the root's tag) the state's at
   * data[o..).
   * NOTE: for performance: a step changes a few registers of its own.
   */
  private packStep(words: number, mask: number, data: Int32Array, o: number, out: Int32Array, b: number): void {
    const r = this.r;
    let bad = encodePage(this.cache, mask, out, b);
    for (let w = PAGE_WORDS; w < this.W; w++) out[b + w] = data[o + w];
    for (let m = words; m !== 0; m &= m - 1) {
      const w = 31 - Math.clz32(m & -m),
        k = w << 2;
      const x = r[k],
        y = r[k + 1],
        z = r[k + 2],
        u = r[k + 3];
      bad |= (x | y | z | u) >>> 8;
      out[b + PAGE_WORDS + w] = x | (y << 8) | (z << 16) | (u << 24);
    }
    if (bad) throw new Error("checker: a state field exceeds its encoding (src/checker/state.ts)");
  }

  /** Root k's packed state in `buf` (its tag word set): the cache and registers as the root prepares them. */
  packRoot(k: number): Int32Array {
    const root = this.input.roots[k];
    this.r.fill(0);
    this.heldOk = false;
    root.prepare(this.cache, this.r);
    this.pack(incidentMask(this.cache.counters));
    this.buf[this.W - 1] = root.offSpec ? 1 : 0;
    return this.buf;
  }

  /**
   * Run each live actor's next step from the state at data[o..), keeping actor a's successor
   * at out[base + a * W..) (default: in `succ`) and, with the reduction, each footprint.
   * Returns the bit set of actors that moved. A step the transition cache holds (MEMO_SLOTS:
   * the same actor, page and registers of its own) is replayed from it; the others run on
   * the cache, decoded from the state at the first of them (decodeState) and restored
   * between them. Leaves the cache as the state when no actor moved (an end state is judged
   * on it).
   * NOTE: for performance, the fields are read into locals, the key is hashed inline; this
   * is the checker's inner loop.
   */
  protected stepAll(data: Int32Array, o: number, stateMask: number, out = this.succ, base = 0): number {
    const { actors, offsets, W, memoOn } = this;
    const R0 = o + PAGE_WORDS;
    let enabled = 0,
      live = 0,
      waiting = false,
      last = -1,
      decoded = false;
    for (let a = 0; a < actors.length; a++) {
      const ra = offsets[a];
      if (((data[R0 + (ra >> 2)] >>> ((ra & 3) << 3)) & 255) === DONE) continue;
      live |= 1 << a;
      if (!(this.daemons & (1 << a))) waiting = true;
      const at = this.memoKey(a, data, o),
        b = base + a * W;
      this.memoLookups++;
      if (memoOn && this.memoHas(at)) {
        this.memoHits++;
        if (this.replay(a, at + MEMO_KEY, data, o, stateMask, out, b)) enabled |= 1 << a;
        continue;
      }
      if (!decoded) this.decodeState(data, o), (decoded = true);
      else if (last >= 0) this.restore(data, o, out, last), (last = -1);
      const m = this.runStep(a, stateMask, data, o, out, b);
      this.remember(a, at, m, out, b);
      if (m >= 0) (enabled |= 1 << a), (last = b);
    }
    // the cache holds the last successor that ran (no restore after it), else the state if decoded, else as before
    if (last >= 0 || decoded) {
      const from = last >= 0 ? out : data,
        at = last >= 0 ? last : o;
      for (let k = 0; k < PAGE_WORDS; k++) this.held[k] = from[at + k];
      this.heldOk = true;
    }
    if (enabled === 0 && !decoded) this.decodeState(data, o);
    this.live = live;
    this.waiting = waiting;
    return enabled;
  }

  /**
   * Actor a's transition-cache key at the state data[o..) into `memoK` (the actor, page words
   * 0-2, word 3 without the incident mask, its register words masked to its bytes); returns
   * the offset of the slot it maps to.
   * NOTE: for performance (stepAll's): the hash inline, murmur3's multipliers.
   */
  private memoKey(a: number, data: Int32Array, o: number): number {
    const { memoK: k, memoWord, memoByte } = this;
    const R0 = o + PAGE_WORDS,
      n = this.memoN[a],
      mi = a * 4;
    (k[0] = a), (k[1] = data[o]), (k[2] = data[o + 1]), (k[3] = data[o + 2]), (k[4] = data[o + 3] & ~MASK_BITS);
    for (let j = 0; j < 4; j++) k[5 + j] = j < n ? data[R0 + memoWord[mi + j]] & memoByte[mi + j] : 0;
    let h = Math.imul(a + 1, 0x9e3779b1);
    for (let j = 1; j < 9; j++) h = Math.imul(h ^ (h >>> 15), j & 1 ? 0x85ebca6b : 0xc2b2ae35) ^ k[j];
    k[9] = (h ^ (h >>> 13)) | 1;
    return ((k[9] >>> 1) & (MEMO_SLOTS - 1)) * MEMO_STRIDE;
  }

  /** Whether the slot at `at` holds the key in `memoK` (tag first: the hash | 1). */
  private memoHas(at: number): boolean {
    const { memo, memoK: k } = this;
    if (memo[at] !== k[9]) return false;
    for (let j = 0; j < 9; j++) if (memo[at + 1 + j] !== k[j]) return false;
    return true;
  }

  /**
   * Actor a's step from the cached value at memo[v..): its footprints, and if it moved its
   * label and its successor at out[b..) (the state's words, with the page's and the actor's
   * register bytes from the value, the state's incidents added). Returns whether it moved.
   */
  private replay(a: number, v: number, data: Int32Array, o: number, mask: number, out: Int32Array, b: number): boolean {
    const { memo, memoWord, memoByte, W } = this;
    if (this.reduce) (this.now[a] = memo[v + 2]), (this.fut[a] = memo[v + 3]);
    if (memo[v] === 0) return false; // BLOCKED
    (out[b] = memo[v + 4]), (out[b + 1] = memo[v + 5]), (out[b + 2] = memo[v + 6]), (out[b + 3] = memo[v + 7] | mask);
    for (let k = PAGE_WORDS; k < W; k++) out[b + k] = data[o + k];
    for (let k = 0, mi = a * 4; k < this.memoN[a]; k++) {
      const w = PAGE_WORDS + memoWord[mi + k];
      out[b + w] = (data[o + w] & ~memoByte[mi + k]) | memo[v + 8 + k];
    }
    this.succLabel[a] = memo[v + 1];
    return true;
  }

  /**
   * Keep in the slot at `at`, under the key in `memoK`, what runStep just did: `m` its
   * incidents (-1: BLOCKED), the footprints, and if it moved its label and the successor's
   * page words (word 3 with the step's own incidents) and register bytes from out[b..).
   */
  private remember(a: number, at: number, m: number, out: Int32Array, b: number): void {
    const { memo, memoK: k, memoWord, memoByte } = this;
    memo[at] = k[9];
    for (let j = 0; j < 9; j++) memo[at + 1 + j] = k[j];
    const v = at + MEMO_KEY;
    (memo[v + 2] = this.reduce ? this.now[a] : 0), (memo[v + 3] = this.reduce ? this.fut[a] : 0);
    memo[v] = m < 0 ? 0 : 1;
    if (m < 0) return;
    memo[v + 1] = this.succLabel[a];
    (memo[v + 4] = out[b]), (memo[v + 5] = out[b + 1]), (memo[v + 6] = out[b + 2]);
    memo[v + 7] = (out[b + 3] & ~MASK_BITS) | m;
    for (let j = 0, mi = a * 4; j < this.memoN[a]; j++)
      memo[v + 8 + j] = out[b + PAGE_WORDS + memoWord[mi + j]] & memoByte[mi + j];
  }

  /** The cache and registers as the state at data[o..) (page words that differ from `held` decoded; counters zero). */
  private decodeState(data: Int32Array, o: number): void {
    const { cache, held, regs, r } = this;
    if (this.heldOk) {
      let ch = 0;
      for (let k = 0; k < PAGE_WORDS; k++) if (held[k] !== data[o + k]) ch |= 1 << k;
      if (ch) decodePageWords(cache, data, o, ch);
    } else decodePage(cache, data, o, false), takeIncidentMask(cache.counters);
    for (let k = 0; k < PAGE_WORDS; k++) held[k] = data[o + k];
    this.heldOk = true;
    for (let k = 0, w = o + PAGE_WORDS; k < regs.length; k += 4, w++) {
      const x = data[w];
      (regs[k] = r[k] = x & 255), (regs[k + 1] = r[k + 1] = (x >>> 8) & 255);
      (regs[k + 2] = r[k + 2] = (x >>> 16) & 255), (regs[k + 3] = r[k + 3] = x >>> 24);
    }
  }

  /** Run actor a's step on the cache: footprints, label; its successor at out[b..) if it moved. Returns its incidents, or -1 if BLOCKED. */
  private runStep(a: number, stateMask: number, data: Int32Array, o: number, out: Int32Array, b: number): number {
    const { ctx, regs, r } = this;
    const ra = this.offsets[a],
      pc = regs[ra],
      t = this.tables[a];
    let label: number;
    if (t !== null) {
      if (this.reduce) {
        const f = t.fixed[pc];
        this.now[a] = f >= 0 ? f : t.now[pc]!(ctx, regs, ra);
        this.fut[a] = t.future[pc];
      }
      label = t.run[pc](ctx, r, ra);
    } else {
      const actor = this.actors[a];
      if (this.reduce) (this.now[a] = actor.footprint(ctx, regs, ra)), (this.fut[a] = actor.future(regs, ra));
      label = actor.step(ctx, r, ra);
    }
    if (label === BLOCKED) return -1;
    const m = takeIncidentMask(this.cache.counters);
    this.packStep(this.stepWords[a], stateMask | m, data, o, out, b);
    this.succLabel[a] = label;
    return m;
  }

  /**
   * Back to the state at data[o..) from its successor at succ[b..) (`succ` stepAll's `out`): the fields of only the
   * page words that differ decoded again, the registers of only the words that differ
   * copied back (the encoding is exact, so an equal word holds equal fields).
   * NOTE: for performance, instead of decoding the whole state after every step.
   */
  private restore(data: Int32Array, o: number, succ: Int32Array, b: number): void {
    const { r, regs } = this;
    let ch = 0;
    for (let k = 0; k < PAGE_WORDS; k++) if (succ[b + k] !== data[o + k]) ch |= 1 << k;
    if (ch) decodePageWords(this.cache, data, o, ch);
    const nR = regs.length;
    for (let w = 0, k = 0; k < nR; w++, k += 4) {
      if (succ[b + PAGE_WORDS + w] === data[o + PAGE_WORDS + w]) continue;
      (r[k] = regs[k]), (r[k + 1] = regs[k + 1]), (r[k + 2] = regs[k + 2]), (r[k + 3] = regs[k + 3]);
    }
  }

  /** Decode the state at data[o..) into the cache, its incident counters zeroed (as stepAll leaves an end state's). */
  protected decodeAt(data: Int32Array, o: number): void {
    this.heldOk = false;
    decodePage(this.cache, data, o, false);
    takeIncidentMask(this.cache.counters);
  }

  /** The actors whose successors are kept: a persistent set with the reduction, else every one that moved. */
  protected chosen(enabled: number): number {
    return this.reduce && (enabled & (enabled - 1)) !== 0
      ? persistentSet(enabled, this.live, this.now, this.fut)
      : enabled;
  }

  /**
   * Judge an end state whose cache is decoded (stepAll left it so: no actor moved): the
   * end-of-run sync, or the hang's text when `hung`; returns that text and the final mask.
   */
  protected endOf(stateMask: number, hung: boolean): { sync: string; mask: number } {
    this.heldOk = false;
    const sync = hung ? this.input.hang(this.cache) : this.input.finish(this.cache);
    return { sync, mask: stateMask | incidentMask(this.cache.counters) };
  }

  /**
   * The witness of a path: `path[0]` the root, then each state a step reached, the last the
   * end state; `sync` the text its end gave, `finalMask` its incidents after the end.
   */
  witnessOf(path: PathState[], sync: string, finalMask: number, hung: boolean): Found {
    const { cache, input } = this;
    this.heldOk = false;
    const steps: WitnessStep[] = [];
    for (let j = 1; j < path.length; j++) {
      const p = path[j];
      decodePage(cache, p.data, p.o);
      steps.push({
        n: j,
        actor: this.actors[p.via >> 16].name,
        step: LABELS[p.via & 0xffff],
        incidents: maskNames(maskOf(p.data, p.o) & ~maskOf(path[j - 1].data, path[j - 1].o)),
        page: input.pageState(cache),
      });
    }
    const end = path[path.length - 1];
    decodePage(cache, end.data, end.o);
    if (hung) input.hang(cache);
    else input.finish(cache);
    steps.push({
      n: steps.length + 1,
      actor: "sync",
      step: sync,
      incidents: maskNames(finalMask & ~maskOf(end.data, end.o)),
      page: input.pageState(cache),
    });
    return { steps, choices: input.roots[path[0].via].choices };
  }
}
