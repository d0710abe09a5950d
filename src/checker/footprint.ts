/**
 * Footprints for the checker's partial-order reduction: which page variables a step
 * reads and writes, packed as `reads | writes << 16`, and the union over every step an
 * actor may still take (from a table of its program: each pc's footprint and successors).
 */

/** Page variables of a footprint. A step whose incident counting reads a variable reads it. */
export const PAGE_VAR = {
  /** PG_locked. */
  LOCK: 1,
  /** PG_dirty, the inode's dirty state and counts. */
  DIRTY: 2,
  /** PG_writeback, the bounce flag and the version the I/O carries. */
  WB: 4,
  /** The version on disk, and whether a writeback of this run put it there. */
  DISK: 8,
  /** The version in memory. */
  MEM: 16,
  /** The ptes: writable, mapped, the MMU-notifier sequence. */
  PTE: 32,
  /** refcount, pins, gets. */
  REF: 64,
  /** page_has_buffers. */
  BUF: 128,
  /** Attached to the mapping, resident. */
  MAP: 256,
  /** A submitted bio waiting for its completion (the `io` actor's queue). */
  IOQ: 512,
  /** The MMU-notifier handshake: GUP references released from the notifier, an invalidation waiting for them. */
  NOTIFY: 1024,
  /** Anonymous memory and fork: the swap cache, PG_anon_exclusive, the owner's move, the private COW copy, MMF_HAS_PINNED. */
  ANON: 2048,
  /** O_DIRECT writes in flight reading the page (their source). */
  DIO: 4096,
  /** Every variable. */
  ALL: 8191,
} as const;

/** A footprint: `reads` and `writes` bit sets packed in one number. */
export const packFootprint = (reads: number, writes: number): number => reads | (writes << 16);

/** Reads and writes everything. */
export const EVERYTHING = packFootprint(PAGE_VAR.ALL, PAGE_VAR.ALL);

/** A policy hook (afterGrab, writebackDecision; the release's set_page_dirty) may read anything and dirty the page. */
export const HOOK = packFootprint(PAGE_VAR.ALL, PAGE_VAR.DIRTY);

/**
 * The future footprint of each pc of a program: the union of the footprints of every pc
 * reachable from it (itself included). `steps[pc] = [footprint, successors]`; pc 0 (done)
 * has none.
 */
export function futures(steps: Record<number, readonly [number, readonly number[]]>, size: number): Int32Array {
  const fut = new Int32Array(size);
  for (let pc = 1; pc < size; pc++) {
    if (!steps[pc]) continue;
    const seen = new Set<number>([pc]);
    const todo = [pc];
    let acc = 0;
    while (todo.length) {
      const q = todo.pop()!;
      const s = steps[q];
      if (!s) continue;
      acc |= s[0];
      for (const n of s[1]) if (n !== 0 && !seen.has(n)) seen.add(n), todo.push(n);
    }
    fut[pc] = acc;
  }
  return fut;
}
