/**
 * The checker's actors: each a program of atomic steps over page 0 of a one-page
 * PageCache, driving the same PageCache operations and policy hooks as the engine.
 * A step is what the kernel runs under a spinlock (the pte lock) or between two points
 * where another CPU can get in; PG_locked is held across steps, as the kernel holds it.
 * Each actor keeps its program counter and a few registers in an Int32Array slice.
 */
import { METRIC as M } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import { WritebackDecision as WB, type Policy } from "../model/policy.js";
import type { ActorSpec, Coverage, CpuActor, FlusherActor, GupActor } from "./scenario.js";
import { BACKING_PROFILES } from "../model/backings.js";
import { callerProfile } from "../model/callers.js";
import { callerPolicy, groupGup, type GroupGup } from "../policies/caller.js";

/** The one page every actor works on. */
export const P = 0;
/** Program counter of a finished actor. */
export const DONE = 0;

/** What every step sees besides its own registers. */
export interface StepContext {
  cache: PageCache;
  policy: Policy;
  /** The reclaim guard (mm/vmscan.c, 2023) is on. */
  guard: boolean;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for PG_writeback. */
  stable: boolean;
  /** Kernel, mapping, backing, folio order (scenario.ts Coverage); absent: none, shared, ext4, 0. */
  coverage?: Coverage;
}

export interface Actor {
  readonly name: string;
  /** Column header of the witness, e.g. `P0 gup slow`. */
  readonly title: string;
  /** Registers, the program counter first. */
  readonly size: number;
  init(r: Int32Array, o: number, ctx: StepContext): void;
  /**
   * Run the next step if it can run now: returns its label (the kernel function it stands
   * for), or null when blocked, in which case nothing was changed.
   */
  step(ctx: StepContext, r: Int32Array, o: number): string | null;
}

/**
 * Fault in a writable pte on a shared mapping (filemap_fault, then do_page_mkwrite and
 * fault_dirty_shared_page, with PG_locked held throughout, so one step). Returns null if
 * blocked on PG_locked or, with stable writes, on PG_writeback (folio_wait_stable);
 * false if the page is beyond EOF; true when the pte is writable.
 */
function faultWritable(ctx: StepContext): boolean | null {
  const c = ctx.cache;
  if (c.locked[P] || (ctx.stable && c.resident[P] && c.writeback[P])) return null;
  if (!c.resident[P]) c.readPage(P);
  if (!c.attached[P]) return false;
  c.mapPage(P);
  if (!c.pteWritable[P]) c.pageMkwrite(P);
  return true;
}

/** The pte GUP-fast and the CPU see: present and writable. */
function pteWritable(c: PageCache): boolean {
  return c.resident[P] === 1 && c.mapped[P] === 1 && c.pteWritable[P] === 1;
}

// ---- GUP user -------------------------------------------------------------------------

const G = { REFUSE: 1, FOLLOW: 2, FAST_READ: 3, FAST_GRAB: 4, FAST_RECHECK: 5, DMA: 6, RELEASE: 7, ANON: 8 } as const;
// Registers: 0 pc, 1 DMA writes left, 2 holds a reference, 3 notifier sequence the device
// mapped, 4 the page's cleanWrites when the pin was taken (for pinsWithWriteToCleanPage).

/**
 * The GUP user (mm/gup.c): GUP for write on the page (slow, fast with the pte recheck, or
 * fast without it), `dma` device writes, then release per policy. Under `mmu-notifier`
 * it takes no reference: the device mirrors the pte and refaults after an invalidation.
 */
export class GupUser implements Actor {
  readonly size = 5;
  readonly name: string;
  readonly title: string;
  constructor(readonly spec: GupActor) {
    this.name = spec.name;
    this.title = `${spec.name} gup ${spec.path}`;
  }

  /** Per base policy: the caller's policy over it and the GUP outcome (src/policies/caller.ts). */
  private readonly decided = new Map<Policy, { policy: Policy; gup: GroupGup; write: boolean; dma: boolean }>();

  private decide(ctx: StepContext) {
    let d = this.decided.get(ctx.policy);
    if (!d) {
      const cov = ctx.coverage;
      const profile = callerProfile(this.spec.caller ?? "generic", cov?.kernel ?? "6.18");
      const access = this.spec.access ?? "write";
      const policy = callerPolicy(ctx.policy, profile, access);
      const gup = groupGup({
        kernel: cov?.kernel ?? null, mapping: cov?.mapping ?? "shared", backing: cov?.backing ?? "ext4",
        access, path: this.spec.path, longTerm: this.spec.longterm, caller: profile, policy,
      });
      d = { policy, gup, write: gup.flags.write, dma: gup.flags.write && profile.deviceWrites };
      this.decided.set(ctx.policy, d);
    }
    return d;
  }

  init(r: Int32Array, o: number, ctx: StepContext): void {
    const noRef = ctx.policy.reference === "none";
    const d = this.decide(ctx);
    r[o] = d.gup.refused !== null ? G.REFUSE : d.gup.anonymous ? G.ANON : noRef || !d.write || this.spec.path === "slow" ? G.FOLLOW : G.FAST_READ;
    r[o + 1] = d.dma ? this.spec.dma : 0;
  }

  step(ctx: StepContext, r: Int32Array, o: number): string | null {
    const c = ctx.cache, d = this.decide(ctx), policy = d.policy;
    const pin = policy.reference === "FOLL_PIN", noRef = policy.reference === "none";
    switch (r[o]) {
      case G.REFUSE:
        // check_vma_flags: writable FOLL_LONGTERM on a dirty-tracked file mapping (-EFAULT),
        // or the caller's own check (io_uring before 6.5: -EOPNOTSUPP).
        c.count(M.refusedPins);
        r[o] = DONE;
        return d.gup.refused === "EFAULT" ? "check_vma_flags: -EFAULT" : `${d.gup.answer.refusedBy}: -${d.gup.refused}`;
      case G.ANON:
        // A private mapping: COW (or unshare) pins an anonymous copy; the file page is untouched.
        c.count(M.pinsTaken);
        r[o] = DONE;
        return "faultin_page: COW, pin the anonymous copy";
      case G.FOLLOW: {
        if (!d.write && !noRef) {
          // A read pin needs a present pte, not a writable one: no write fault, no FOLL_TOUCH dirtying.
          if (!c.resident[P]) c.readPage(P);
          if (!c.attached[P]) {
            r[o] = DONE;
            return "faultin_page: SIGBUS";
          }
          c.mapPage(P);
          if (!c.tryGrabFolio(P, pin)) {
            c.count(M.refusedPins);
            r[o] = DONE;
            return "try_grab_folio: refused";
          }
          r[o + 4] = c.cleanWrites[P];
          c.count(M.pinsTaken);
          r[o + 2] = 1;
          r[o] = this.afterGup(r, o);
          return "follow_page_pte: grab (read)";
        }
        if (!pteWritable(c)) {
          // follow_page_pte found no writable pte: faultin_page, then retry.
          const f = faultWritable(ctx);
          if (f === null) return null;
          if (!f) {
            r[o] = DONE;
            return "faultin_page: SIGBUS";
          }
          return "faultin_page: page_mkwrite";
        }
        if (noRef) {
          // hmm_range_fault: the device mirrors the pte, remembering the notifier sequence.
          r[o + 3] = c.notifierSeq[P];
          c.count(M.pinsTaken);
          r[o] = this.afterGup(r, o);
          return "hmm_range_fault: mirror";
        }
        // follow_page_pte under the pte lock: try_grab_folio, FOLL_TOUCH, the policy's hook.
        if (!c.tryGrabFolio(P, pin)) {
          c.count(M.refusedPins);
          r[o] = DONE;
          return "try_grab_folio: refused";
        }
        r[o + 4] = c.cleanWrites[P];
        if (!c.pteWritable[P] && !c.dirty[P]) c.setPageDirty(P);
        policy.afterGrab(c, P);
        c.count(M.pinsTaken);
        r[o + 2] = 1;
        r[o] = this.afterGup(r, o);
        return "follow_page_pte: grab";
      }
      case G.FAST_READ:
        // gup_fast_pte_range: ptep_get_lockless; a read-only pte falls back to the slow path.
        if (!pteWritable(c)) {
          r[o] = G.FOLLOW;
          return "gup_fast: pte RO, slow";
        }
        r[o] = G.FAST_GRAB;
        return "gup_fast: pte W";
      case G.FAST_GRAB:
        // try_grab_folio_fast: the reference is taken before the pte is checked again;
        // folio_ref_try_add fails on a freed page (refcount 0) and GUP goes slow.
        if (!c.resident[P]) {
          r[o] = G.FOLLOW;
          return "try_grab_folio_fast: freed, slow";
        }
        if (!c.tryGrabFolio(P, pin)) {
          c.count(M.refusedPins);
          r[o] = DONE;
          return "try_grab_folio_fast: refused";
        }
        r[o + 4] = c.cleanWrites[P];
        r[o + 2] = 1;
        if (this.spec.path === "fast-no-recheck") {
          policy.afterGrab(c, P);
          c.count(M.pinsTaken);
          r[o] = this.afterGup(r, o);
          return "try_grab_folio_fast (no recheck)";
        }
        r[o] = G.FAST_RECHECK;
        return "try_grab_folio_fast";
      case G.FAST_RECHECK:
        // "pin the page, then check pte not changed"; if changed, undo and go slow.
        if (!pteWritable(c)) {
          c.gupPutFolio(P, pin);
          r[o + 2] = 0;
          r[o] = G.FOLLOW;
          return "recheck pte: changed, undo";
        }
        policy.afterGrab(c, P);
        c.count(M.pinsTaken);
        r[o] = this.afterGup(r, o);
        return "recheck pte: same";
      case G.DMA: {
        if (noRef && (!c.resident[P] || c.notifierSeq[P] !== r[o + 3])) {
          // The mirror was invalidated (mmu_notifier): the device refaults like a CPU store.
          const f = faultWritable(ctx);
          if (f === null) return null;
          if (!f) {
            r[o + 1]--;
            if (r[o + 1] === 0) r[o] = G.RELEASE;
            return "device fault: SIGBUS";
          }
          c.count(M.deviceRefaults);
          r[o + 3] = c.notifierSeq[P];
          return "device fault: page_mkwrite";
        }
        c.dmaWrite(P);
        r[o + 1]--;
        if (r[o + 1] === 0) r[o] = G.RELEASE;
        return "DMA write";
      }
      case G.RELEASE: {
        if (noRef) {
          r[o] = DONE;
          r[o + 3] = 0;
          return "mmu_interval_notifier_remove";
        }
        if (c.locked[P] && policy.releaseTakesPageLock(c, P)) return null;
        const wasDirty = c.dirty[P];
        c.releaseGupPage(P, pin, r[o + 4], policy);
        r[o + 2] = 0;
        r[o + 4] = 0;
        r[o] = DONE;
        const dirtied = !wasDirty && c.dirty[P] ? "set_page_dirty, " : "";
        return `${dirtied}${pin ? "unpin_user_page" : "put_page"}`;
      }
    }
    throw new Error(`gup: bad pc ${r[o]}`);
  }

  private afterGup(r: Int32Array, o: number): number {
    return r[o + 1] > 0 ? G.DMA : G.RELEASE;
  }
}

// ---- flusher --------------------------------------------------------------------------

const F = { LOCK: 1, CHECK: 2, MKCLEAN: 3, DECIDE: 4, WRITEPAGE: 5, SET_WB: 6, UNLOCK: 7, BIO_BOUNCE: 8, END: 9 } as const;
// Registers: 0 pc, 1 passes left, 2 the policy's writeback decision (WB bits).

/**
 * The flusher: `passes` runs of write_cache_pages over the page (WB_SYNC_NONE for kupdate
 * and background writeback, WB_SYNC_ALL for fsync and sync), each cut where the kernel
 * can be interrupted: lock_page, the checks, clear_page_dirty_for_io (page_mkclean, then
 * the policy's hook and TestClearPageDirty), ->writepage, set_page_writeback, unlock_page,
 * [the block layer's bounce], end_page_writeback.
 */
export class Flusher implements Actor {
  readonly size = 3;
  readonly name: string;
  readonly title: string;
  constructor(readonly spec: FlusherActor) {
    this.name = spec.name;
    const modes = [...new Set(spec.syncAll.map((s) => (s ? "ALL" : "NONE")))];
    this.title = `${spec.name} WB_SYNC_${modes.join(",")}`;
  }

  init(r: Int32Array, o: number, ctx?: StepContext): void {
    // tmpfs, hugetlbfs: nothing to write back.
    r[o] = ctx?.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : F.LOCK;
    r[o + 1] = this.spec.passes;
  }

  private endPass(r: Int32Array, o: number): void {
    r[o + 2] = 0;
    r[o + 1]--;
    r[o] = r[o + 1] > 0 ? F.LOCK : DONE;
  }

  step(ctx: StepContext, r: Int32Array, o: number): string | null {
    const c = ctx.cache, sync = this.spec.syncAll[this.spec.passes - r[o + 1]];
    switch (r[o]) {
      case F.LOCK:
        if (!c.resident[P]) {
          this.endPass(r, o);
          return "no page: pass ends";
        }
        if (!c.trylockPage(P)) return null;
        r[o] = F.CHECK;
        return "lock_page";
      case F.CHECK:
        // write_cache_pages: skip if truncated or clean; under writeback skip
        // (WB_SYNC_NONE) or wait for it (WB_SYNC_ALL, with the page locked).
        if (!c.attached[P] || !c.dirty[P] || (c.writeback[P] && !sync)) {
          const why = !c.attached[P] ? "truncated" : !c.dirty[P] ? "clean" : "PG_writeback";
          c.unlockPage(P);
          this.endPass(r, o);
          return `${why}: unlock_page`;
        }
        if (c.writeback[P]) return null; // folio_wait_writeback
        r[o] = F.MKCLEAN;
        return "PageDirty: write";
      case F.MKCLEAN:
        c.pageMkclean(P);
        r[o] = F.DECIDE;
        return "page_mkclean";
      case F.DECIDE: {
        const d = c.testClearPageDirtyForIo(P, sync);
        r[o + 2] = d;
        if (!(d & WB.WRITE)) {
          c.unlockPage(P);
          this.endPass(r, o);
          return "pinned: skip, unlock_page";
        }
        r[o] = F.WRITEPAGE;
        return d & WB.CLEAR ? "TestClearPageDirty" : "pinned: keep PG_dirty";
      }
      case F.WRITEPAGE:
        if (!c.writepageHasBuffers(P)) {
          c.unlockPage(P);
          this.endPass(r, o);
          return "->writepage: no buffers, drop";
        }
        r[o] = F.SET_WB;
        return c.buffers[P] ? "->writepage" : "->writepage: no buffers, BUG";
      case F.SET_WB: {
        const bounce = (r[o + 2] & WB.BOUNCE) !== 0;
        c.setPageWriteback(P, bounce);
        r[o] = F.UNLOCK;
        return bounce ? "bounce, set_page_writeback" : "set_page_writeback";
      }
      case F.UNLOCK:
        c.unlockPage(P);
        r[o] = r[o + 2] & WB.BOUNCE_AT_BIO ? F.BIO_BOUNCE : F.END;
        return "unlock_page";
      case F.BIO_BOUNCE:
        c.bounceAtBio(P);
        r[o] = F.END;
        return "submit_bio: bounce";
      case F.END:
        c.endPageWriteback(P);
        this.endPass(r, o);
        return "end_page_writeback";
    }
    throw new Error(`flusher: bad pc ${r[o]}`);
  }
}

// ---- memory pressure ------------------------------------------------------------------

const R = {
  TRYLOCK: 1, UNMAP: 2, GUARD: 3, CONTINUE: 4, DECIDE: 5, WRITEPAGE: 6, SET_WB: 7, BIO_BOUNCE: 8, END: 9, REMOVE: 10,
} as const;
// Registers: 0 pc, 1 second pass (after pageout's I/O), 2 the policy's writeback decision.

/**
 * Memory pressure: shrink_folio_list over the page. trylock_page, try_to_unmap, the
 * reclaim guard (page_maybe_dma_pinned → activate_locked), pageout if dirty (->writepage
 * unlocks; the next pass continues after the I/O), try_to_release_page (frees the
 * buffers), __remove_mapping (evicts only if no GUP reference remains).
 */
export class Reclaim implements Actor {
  readonly size = 3;
  readonly name: string;
  readonly title: string;
  constructor(spec: ActorSpec) {
    this.name = spec.name;
    this.title = `${spec.name} reclaim`;
  }

  init(r: Int32Array, o: number, ctx?: StepContext): void {
    // tmpfs, hugetlbfs: reclaim swaps and keeps the data; the model runs nothing.
    r[o] = ctx?.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : R.TRYLOCK;
  }

  private stop(c: PageCache, r: Int32Array, o: number, unlock: boolean): void {
    if (unlock) c.unlockPage(P);
    r[o] = DONE;
    r[o + 1] = r[o + 2] = 0;
  }

  step(ctx: StepContext, r: Int32Array, o: number): string | null {
    const c = ctx.cache;
    const again = r[o + 1] === 1;
    switch (r[o]) {
      case R.TRYLOCK:
        if (!c.resident[P] || !c.attached[P]) {
          this.stop(c, r, o, false);
          return "not on the LRU";
        }
        if (c.locked[P] || c.writeback[P]) {
          this.stop(c, r, o, false);
          return c.locked[P] ? "trylock_page: busy" : "PG_writeback: skip";
        }
        c.trylockPage(P);
        r[o] = R.UNMAP;
        return again ? "trylock_page (again)" : "trylock_page";
      case R.UNMAP:
        c.tryToUnmap(P);
        r[o] = ctx.guard ? R.GUARD : R.CONTINUE;
        return "try_to_unmap";
      case R.GUARD:
        if (c.reclaimGuardKeeps(P)) {
          this.stop(c, r, o, true);
          return "folio_maybe_dma_pinned: activate";
        }
        r[o] = R.CONTINUE;
        return "folio_maybe_dma_pinned: no";
      case R.CONTINUE:
        if (c.dirty[P]) {
          if (again) {
            this.stop(c, r, o, true);
            return "redirtied: keep";
          }
          if (!c.isPageCacheFreeable(P)) {
            // pageout() never writes a page someone else holds: PAGE_KEEP.
            this.stop(c, r, o, true);
            return "is_page_cache_freeable: no, keep";
          }
          // pageout: clear_page_dirty_for_io starts with page_mkclean.
          c.pageMkclean(P);
          r[o] = R.DECIDE;
          return "pageout: page_mkclean";
        }
        if (!c.tryToReleasePage(P)) {
          this.stop(c, r, o, true);
          return "try_to_release_page: busy, activate";
        }
        r[o] = R.REMOVE;
        return "try_to_release_page";
      case R.DECIDE: {
        const d = c.testClearPageDirtyForIo(P, false);
        r[o + 2] = d;
        if (!(d & WB.WRITE)) {
          this.stop(c, r, o, true);
          return "pinned: keep_locked";
        }
        r[o] = R.WRITEPAGE;
        return d & WB.CLEAR ? "TestClearPageDirty" : "pinned: keep PG_dirty";
      }
      case R.WRITEPAGE:
        if (!c.writepageHasBuffers(P)) {
          // ext4 dropped the page's dirty state: nothing stops the eviction now.
          r[o + 2] = 0;
          r[o] = R.REMOVE;
          return "->writepage: no buffers, drop";
        }
        r[o] = R.SET_WB;
        return c.buffers[P] ? "->writepage" : "->writepage: no buffers, BUG";
      case R.SET_WB: {
        const d = r[o + 2];
        c.setPageWriteback(P, (d & WB.BOUNCE) !== 0);
        c.unlockPage(P); // ->writepage unlocks the page
        r[o] = d & WB.BOUNCE_AT_BIO ? R.BIO_BOUNCE : R.END;
        return "set_page_writeback, unlock";
      }
      case R.BIO_BOUNCE:
        c.bounceAtBio(P);
        r[o] = R.END;
        return "submit_bio: bounce";
      case R.END:
        c.endPageWriteback(P);
        r[o] = R.TRYLOCK;
        r[o + 1] = 1;
        r[o + 2] = 0;
        return "end_page_writeback";
      case R.REMOVE: {
        const evicted = c.removeMapping(P);
        this.stop(c, r, o, true);
        return evicted ? "__remove_mapping: evicted" : "__remove_mapping: held";
      }
    }
    throw new Error(`reclaim: bad pc ${r[o]}`);
  }
}

// ---- CPU writer -----------------------------------------------------------------------

const C = { STORE: 1 } as const;

/** A CPU writing through the shared mapping: a write fault (page_mkwrite) when the pte is not writable, then the store. */
export class CpuWriter implements Actor {
  readonly size = 2;
  readonly name: string;
  readonly title: string;
  constructor(readonly spec: CpuActor) {
    this.name = spec.name;
    this.title = `${spec.name} CPU store`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = this.spec.stores > 0 ? C.STORE : DONE;
    r[o + 1] = this.spec.stores;
  }

  step(ctx: StepContext, r: Int32Array, o: number): string | null {
    const c = ctx.cache;
    if (!pteWritable(c)) {
      const f = faultWritable(ctx);
      if (f === null) return null;
      if (!f) {
        r[o] = DONE;
        r[o + 1] = 0;
        return "write fault: SIGBUS";
      }
      return "do_page_mkwrite";
    }
    c.cpuStore(P);
    r[o + 1]--;
    if (r[o + 1] === 0) r[o] = DONE;
    return "store";
  }
}

// ---- truncate -------------------------------------------------------------------------

const T = { LOCK: 1, TRUNCATE: 2, UNLOCK: 3 } as const;

/** truncate_inode_pages over the file: lock_page, wait for writeback, truncate_inode_folio, unlock_page. */
export class Truncate implements Actor {
  readonly size = 1;
  readonly name: string;
  readonly title: string;
  constructor(spec: ActorSpec) {
    this.name = spec.name;
    this.title = `${spec.name} truncate`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = T.LOCK;
  }

  step(ctx: StepContext, r: Int32Array, o: number): string | null {
    const c = ctx.cache;
    switch (r[o]) {
      case T.LOCK:
        if (!c.resident[P] || !c.attached[P]) {
          r[o] = DONE;
          c.inodeDirty[0] = 0;
          return "no page: i_size only";
        }
        if (!c.trylockPage(P)) return null;
        r[o] = T.TRUNCATE;
        return "lock_page";
      case T.TRUNCATE: {
        if (c.writeback[P]) return null; // folio_wait_writeback
        c.truncatePage(P);
        c.inodeDirty[0] = 0;
        if (!c.resident[P]) {
          // The page is freed; its lock goes with it.
          c.unlockPage(P);
          r[o] = DONE;
          return "truncate_inode_folio: freed";
        }
        r[o] = T.UNLOCK;
        return "truncate_inode_folio: held";
      }
      case T.UNLOCK:
        c.unlockPage(P);
        r[o] = DONE;
        return "unlock_page";
    }
    throw new Error(`truncate: bad pc ${r[o]}`);
  }
}

/** The actor for a scenario's actor line. */
export function makeActor(spec: ActorSpec): Actor {
  switch (spec.kind) {
    case "gup":
      return new GupUser(spec);
    case "flusher":
      return new Flusher(spec);
    case "reclaim":
      return new Reclaim(spec);
    case "cpu":
      return new CpuWriter(spec);
    case "truncate":
      return new Truncate(spec);
  }
}
