/**
 * The page trace (`simulate(params, { tracePages })`): the state of chosen pages after every
 * event that changed them, for timelines (src/plot/page-timeline.ts) and tests.
 */
import type { PageCache } from "../model/page-cache.js";

/** One traced page's state after an event that changed it. */
export interface TraceRow {
  /** Simulated time of the event, seconds. */
  t: number;
  /** The traced page (folio) index. */
  page: number;
  /** The event that changed it: one of EVENT_NAMES, `dma-write` (DMA_WRITE_EVENT) or `end-of-run sync`. */
  event: string;
  /** PG_dirty, 0 or 1. */
  dirty: number;
  /** PG_writeback, 0 or 1. */
  writeback: number;
  /** FOLL_PIN references held. */
  pins: number;
  /** FOLL_GET references held. */
  gets: number;
  /** Buffer heads attached (page_has_buffers), 0 or 1. */
  buffers: number;
  /** A writable, dirty pte, 0 or 1. */
  pteWritable: number;
  /** page->mapping set (not truncated), 0 or 1. */
  attached: number;
  /** In memory at all, 0 or 1 (0 after eviction until read back). */
  resident: number;
  /** Content version in memory (each store or device write adds 1). */
  mem: number;
  /** Content version on disk. */
  disk: number;
  /** page_ref_count as the model keeps it (reclaim's own reference left out). */
  refcount: number;
}

/**
 * The rows of the traced pages. A row is kept only when the page's state differs from its
 * previous row; rows come in the order they were recorded, which for device writes (caught
 * up lazily, at their own earlier times) is not time order: `rows()` sorts them.
 */
export class PageTrace {
  /** The traced folio indices: the asked-for pages that exist, in the order given. */
  readonly pages: number[];
  private readonly recorded: TraceRow[] = [];
  /** Per traced page: its last row's state, as a key. */
  private readonly last: string[];

  /**
   * @param pc the page cache whose pages are traced
   * @param tracePages the pages asked for; those that are not integers in [0, folios) are dropped
   */
  constructor(
    private readonly pc: PageCache,
    tracePages: readonly number[],
  ) {
    this.pages = tracePages.filter((x) => Number.isInteger(x) && x >= 0 && x < pc.pages);
    this.last = this.pages.map(() => "");
  }

  /** Whether page p is traced. */
  has(p: number): boolean {
    return this.pages.includes(p);
  }

  /** A row for every traced page whose state changed, at time t after `event`. */
  record(t: number, event: string): void {
    for (const p of this.pages) this.row(p, t, event);
  }

  /** A row for traced page p if its state changed since its last row. */
  row(p: number, t: number, event: string): void {
    const pc = this.pc;
    const i = this.pages.indexOf(p);
    const row: TraceRow = {
      t,
      page: p,
      event,
      dirty: pc.dirty(p),
      writeback: pc.writeback(p),
      pins: pc.pins[p],
      gets: pc.gets[p],
      buffers: pc.buffers(p),
      pteWritable: pc.pteWritable(p),
      attached: pc.attached(p),
      resident: pc.resident(p),
      mem: pc.mem(p),
      disk: pc.disk(p),
      refcount: pc.refcount(p),
    };
    const key = JSON.stringify({ ...row, t: 0, event: "" });
    if (key !== this.last[i]) {
      this.last[i] = key;
      this.recorded.push(row);
    }
  }

  /** The rows in time order (stable: rows of one instant keep the order they were recorded in). */
  rows(): TraceRow[] {
    return this.recorded
      .map((r, i) => [r, i] as const)
      .sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
      .map(([r]) => r);
  }
}
