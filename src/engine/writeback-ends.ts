/**
 * Which end_page_writeback event is the latest I/O's, without a time per page: a page's
 * state is its count of events in flight, and the end time of its latest I/O is kept only
 * where it is needed (several events in flight: the page was freed and written again
 * before the older I/O's event fired; or a stable-writes backing, whose waiters resume
 * at it).
 * NOTE: for performance: two bits of the folio's flags word (ENGINE_BIT.flight, on the
 * cache line writeback reads anyway), read and written once per I/O; the tables
 * (PageTimes) hold the few pages with a superseded I/O in flight.
 */
import { ENGINE_BIT, PAGE_STRIDE } from "../model/page-record.js";
import { PageTimes } from "../model/page-times.js";

/** ENGINE_BIT.flight's two bits, and one event in flight. */
const FLIGHT = 3 << ENGINE_BIT.flight,
  ONE = 1 << ENGINE_BIT.flight,
  SEVERAL = 2 << ENGINE_BIT.flight;

/** End times of the I/O in flight, per folio (Simulation's writeback). */
export class WritebackEnds {
  /** The page records (PageRecord.page): per folio, bits ENGINE_BIT.flight of its flags word: 0 no end event in flight, 1 one (the latest I/O's), 2 several (counted in `pending`). */
  private readonly page: Uint32Array;
  /** The latest I/O's end, seconds: for folios with several events in flight, or every folio in flight when `keep`. */
  private readonly latest = new PageTimes();
  /** Events in flight, for folios with several. */
  private readonly pending = new PageTimes(16);

  /**
   * @param page the page cache's records (PageRecord.page), whose flags words keep the count
   * @param keep keep every latest end (endOf), as a stable-writes backing reads it
   */
  constructor(
    page: Uint32Array,
    private readonly keep: boolean,
  ) {
    this.page = page;
  }

  /** An I/O of folio p started that ends at `end` (seconds); its end event is scheduled at `end`. */
  started(p: number, end: number): void {
    const f = this.page[PAGE_STRIDE * p] & FLIGHT;
    if (f === 0) {
      this.page[PAGE_STRIDE * p] |= ONE;
      if (this.keep) this.latest.set(p, end);
      return;
    }
    this.latest.set(p, end);
    if (f === ONE) {
      this.page[PAGE_STRIDE * p] = (this.page[PAGE_STRIDE * p] & ~FLIGHT) | SEVERAL;
      this.pending.set(p, 2);
    } else this.pending.set(p, this.pending.get(p) + 1);
  }

  /**
   * An end event of folio p fires at `t`: whether the latest I/O started on p ends at `t`
   * (else the event is a superseded I/O's). Call it for every end event, once.
   */
  ended(p: number, t: number): boolean {
    const f = this.page[PAGE_STRIDE * p] & FLIGHT;
    if (f === ONE) {
      // The one event in flight is the latest I/O's: it ends now.
      this.page[PAGE_STRIDE * p] &= ~FLIGHT;
      if (this.keep) this.latest.delete(p);
      return true;
    }
    const end = this.latest.get(p);
    const left = this.pending.get(p) - 1;
    if (left === 0) {
      this.page[PAGE_STRIDE * p] &= ~FLIGHT;
      this.latest.delete(p);
      this.pending.delete(p);
    } else this.pending.set(p, left);
    return end === t;
  }

  /** When the latest I/O started on folio p ends, seconds (with `keep`, while an event is in flight; else NaN). */
  endOf(p: number): number {
    return this.latest.get(p);
  }
}
