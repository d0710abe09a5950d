/**
 * The kinds of event on the engine's queue (src/engine/queue.ts) and the names trace rows
 * give them.
 */

/** The events of anonymous memory (src/engine/anon.ts): a fork, and its child's exit childLifetime later. */
const ANON_EVENT = { FORK: 10, CHILD_EXIT: 11 } as const;

/** Event kinds on the queue. */
export const EVENT = {
  PINNER: 0,
  CPU_STORE: 1,
  RECLAIM: 2,
  TRUNCATE: 3,
  FSYNC: 4,
  KUPDATE: 5,
  WB_END: 6,
  CPU_STORE_PAGE: 7, // a store that waited for writeback (stable writes)
  BIO_BOUNCE: 8, // the block layer's bounce copy at bio submission (block-bounce)
  INVALIDATE: 9, // invalidate_mapping_pages over a file
  ...ANON_EVENT,
} as const;

/** The name of each event kind (EVENT), as trace rows carry it. */
export const EVENT_NAMES = [
  "pinner",
  "cpu-store",
  "reclaim",
  "truncate",
  "fsync",
  "kupdate",
  "writeback-end",
  "cpu-store",
  "bio-bounce",
  "invalidate",
  "fork",
  "child-exit",
] as const;

/** Trace rows of device writes carry this event name (they are applied lazily, at their own times). */
export const DMA_WRITE_EVENT = "dma-write";

/** Trace rows of the end-of-run sync carry this event name. */
export const END_OF_RUN_EVENT = "end-of-run sync";
