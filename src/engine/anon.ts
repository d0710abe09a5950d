/**
 * The engine's room for anonymous memory (backing `anon`) and fork: the pages' initial
 * state, the owner's stores and GUP faults (do_swap_page, do_wp_page), reclaim's swap-out,
 * fork events (copy_page_range at forkRate per process) and the children's exits. The kernel
 * rules are src/model/anon.ts's, shared with the checker; this file schedules them.
 *
 * A slot follows the owner's page. When the owner's write fault copies a page nothing else
 * holds, the slot becomes the copy at once (renew: exclusive, writable, mapped by the owner
 * alone). When GUP references hold the old page, the slot keeps it (`ownerMoved`) until the
 * last one is put: the device's writes meanwhile are wrongProcessWrites, the owner's stores
 * go to its copy, which the engine does not follow, and a GUP of the slot pins that copy
 * (not followed either). Children are not followed beyond the pages they share: a child
 * exits childLifetime after its fork and its mappings go.
 */
import { parseDistribution, sampler, type Uniform } from "../model/distributions.js";
import {
  WP,
  anonFault,
  anonUnshare,
  anonWritable,
  childUnmap,
  copyPresentPte,
  FORK,
  initAnonPage,
  mmSetHasPinned,
  shrinkAnonPage,
} from "../model/anon.js";
import { METRIC } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import type { Params } from "../model/params.js";
import type { DeviceWrites } from "./device-writes.js";
import { EVENT } from "./events.js";
import type { EventQueue } from "./queue.js";
import { exponentialGap, makeStreams, STREAM } from "./random.js";
import type { RunEnv } from "../model/env.js";
import { PG } from "../model/page-record.js";

/** Outcome of the anonymous part of GUP on one page (Pinners.gupPage). */
export const ANON_GUP = {
  /** Grab the slot's page now: its pte allows the access. */
  GRAB: 0,
  /** The pin lands on a page the engine does not follow (the owner's new page). */
  ELSEWHERE: 1,
} as const;

/** The largest share count of a run's pages: each live child of a fork maps the pages it still shares, so unbounded (Int32). */
export function anonSharesBound(env: RunEnv, p: Params): number | undefined {
  return env.anonymous && p.forkRate > 0 ? 0x7fffffff : undefined;
}

/**
 * The run's anonymous memory on backing anon, else undefined. Forks draw from one stream
 * after the run's `r` (only when they happen: every other run keeps its streams).
 */
export function anonMemoryFor(
  env: RunEnv,
  p: Params,
  pc: PageCache,
  q: EventQueue,
  dma: DeviceWrites,
  r: Uniform[],
): AnonMemory | undefined {
  if (!env.anonymous) return undefined;
  return new AnonMemory(pc, q, p, dma, p.forkRate > 0 ? makeStreams(p.seed, r.length + 1)[r.length] : r[STREAM.init]);
}

/** The anonymous memory of a run: its pages' set-up, faults, swap-out, forks and children. */
export class AnonMemory {
  /** Per slot: bumped when the slot becomes a new page (renew), so a child's exit leaves the new page alone. */
  private readonly generation: Uint32Array;
  /** Live children: the slots each shares and their generation at the fork, by child id. */
  private readonly children = new Map<number, Int32Array>();
  private nextChild = 0;
  private readonly lifetime: (u: Uniform) => number;

  /**
   * @param pc the page cache (env.anonymous)
   * @param q the event queue (FORK, CHILD_EXIT)
   * @param params the run's parameters (forkRate, childLifetime, files)
   * @param dma the device writes, caught up before a page changes
   * @param u the fork stream (gaps, the forking process, the children's lifetimes)
   */
  constructor(
    private readonly pc: PageCache,
    private readonly q: EventQueue,
    private readonly params: Params,
    private readonly dma: DeviceWrites,
    private readonly u: Uniform,
  ) {
    this.generation = new Uint32Array(pc.pages);
    this.lifetime = sampler(parseDistribution(params.childLifetime));
  }

  /** Slot p's initial page: mapped by `shares` processes (the owner first), `transient` other references. */
  initPage(p: number, shares: number, transient: number): void {
    initAnonPage(this.pc, p, Math.max(1, shares), transient);
  }

  /** The first fork, when forks happen. */
  start(): void {
    if (this.params.forkRate > 0) this.q.push(this.forkGap(), EVENT.FORK, 0);
  }

  /** An event of EVENT.FORK or EVENT.CHILD_EXIT (child `arg`). */
  event(kind: number, arg: number): void {
    if (kind === EVENT.FORK) this.fork();
    else {
      this.q.pop();
      this.childExit(arg);
    }
  }

  private forkGap(): number {
    return exponentialGap(this.u, this.params.forkRate * this.params.files);
  }

  /**
   * The owner's store into slot p: its fault first (do_swap_page, do_wp_page), then the
   * store, or into its new page. The CPU is the page's last writer (`lastWriter`, per slot).
   */
  cpuStore(p: number, lastWriter: Int8Array | Int16Array): void {
    const pc = this.pc;
    lastWriter[p] = -1;
    this.dma.catchUp(p);
    if (pc.ownerMoved[p]) return; // into the owner's new page, not followed
    if (!anonWritable(pc, p) && anonFault(pc, p, true) === WP.COPIED && !this.renewIfFree(p)) return;
    pc.cpuStore(p);
  }

  /**
   * GUP's faults on slot p (faultin_page until follow_page_pte succeeds): MMF_HAS_PINNED for
   * a FOLL_PIN call, do_swap_page or do_wp_page for the access, unshare for a read-only pin
   * of a shared page (5.19 on). Returns an ANON_GUP value.
   */
  gup(p: number, write: boolean, pin: boolean): number {
    const pc = this.pc;
    if (pin) mmSetHasPinned(pc, p);
    if (pc.ownerMoved[p]) return ANON_GUP.ELSEWHERE;
    let did: number = WP.REUSED;
    if (!pc.resident(p) || !pc.mapped(p) || (write && !anonWritable(pc, p))) did = anonFault(pc, p, write);
    else if (!write && pin && pc.env.anon.exclusive && !pc.anonExclusive[p]) did = anonUnshare(pc, p);
    if (did === WP.COPIED && !this.renewIfFree(p)) return ANON_GUP.ELSEWHERE;
    return ANON_GUP.GRAB;
  }

  /** After a GUP reference on slot p is put: a page its owner left, held by nobody now, gives the slot to the owner's copy. */
  released(p: number): void {
    if (this.pc.ownerMoved[p]) this.renewIfFree(p);
  }

  /** Reclaim of slot p: shrink_folio_list's anonymous path at one instant (shrinkAnonPage). */
  reclaim(p: number): void {
    this.dma.catchUp(p);
    if (shrinkAnonPage(this.pc, p)) this.pc.swapCache[p] = 0;
  }

  /** A fork of a uniformly chosen process: copy_page_range over its slots; the child exits childLifetime later. */
  fork(): void {
    const pc = this.pc,
      ppf = pc.pagesPerFile;
    const f = Math.floor(this.u() * this.params.files);
    pc.counters[METRIC.forks]++;
    const shared: number[] = [];
    for (let p = f * ppf; p < (f + 1) * ppf; p++) {
      this.dma.catchUp(p);
      if (copyPresentPte(pc, p) === FORK.SHARED) shared.push(p, this.generation[p]);
    }
    const id = this.nextChild++;
    this.children.set(id, Int32Array.from(shared));
    this.q.replaceTop(pc.now + this.forkGap(), EVENT.FORK, 0);
    this.q.push(pc.now + this.lifetime(this.u), EVENT.CHILD_EXIT, id);
  }

  /** Child `id` exits: it stops mapping the pages it still shares (exit_mmap). */
  childExit(id: number): void {
    const slots = this.children.get(id);
    if (!slots) return;
    this.children.delete(id);
    for (let i = 0; i < slots.length; i += 2) {
      const p = slots[i];
      if (this.generation[p] !== slots[i + 1]) continue; // the slot holds another page now
      this.dma.catchUp(p);
      childUnmap(this.pc, p);
    }
  }

  /**
   * Slot p becomes the owner's new page when nothing holds its old one any more (no GUP
   * reference; children and other references go with the old page): exclusive, mapped by
   * the owner alone, writable, out of swap. Returns whether it did.
   */
  private renewIfFree(p: number): boolean {
    const pc = this.pc;
    if (pc.pins[p] + pc.gets[p] > 0) return false;
    this.generation[p]++;
    pc.testClearPageDirty(p);
    pc.setFlag(p, PG.writeback, 0);
    initAnonPage(pc, p, 1, pc.transient[p]);
    return true;
  }
}
