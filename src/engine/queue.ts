// The engine's event queue; the class below carries the docs (tslab shows them on Shift-Tab).
const STRIDE = 4; // time, seq, kind, arg

/**
 * The engine's event queue: a binary min-heap keyed on (time, sequence), so events at equal times
 * run in the order they were scheduled and a seeded run repeats exactly.
 *
 * A second lane is a FIFO for events scheduled at non-decreasing times (end_page_writeback
 * with a fixed latency): the earliest event is the smaller of the heap's top and the
 * FIFO's head, still by (time, sequence), so the order is exactly that of one heap.
 * NOTE: typed arrays with the four fields of a node interleaved, and the FIFO lane, are
 * for performance: the large benchmark moves tens of millions of events.
 *
 * An event is three numbers: its time (seconds of simulated time), a kind (the engine's
 * event code) and an argument (a page, pinner or inode index). Capacity grows as needed.
 *
 * @example
 * const q = new EventQueue();
 * q.push(2, 7, 0);
 * q.push(1, 5, 3);
 * q.push(1, 6, 4); // same time as the previous one: runs after it
 * q.peek(); // => 1
 * [q.topKind(), q.topArg()]; // => [5, 3]
 * q.pop();
 * q.peek(); // => 1
 * q.topKind(); // => 6
 */
export class EventQueue {
  private heap: Float64Array;
  private n = 0;
  private fifo: Float64Array;
  private fifoHead = 0;
  private fifoTail = 0;
  private seq = 0;
  private topInFifo = false;

  /** @param capacity events each lane holds before it first grows (it doubles when full). */
  constructor(capacity = 1024) {
    this.heap = new Float64Array(capacity * STRIDE);
    this.fifo = new Float64Array(capacity * STRIDE);
  }

  /** Events waiting, in both lanes. */
  get size(): number {
    return this.n + (this.fifoTail - this.fifoHead) / STRIDE;
  }

  /**
   * Select the earliest event and return its time (Infinity when empty); read it with
   * topKind/topArg, then remove it with pop() or replaceTop().
   */
  peek(): number {
    const h = this.heap,
      f = this.fifo;
    if (this.fifoHead === this.fifoTail) {
      this.topInFifo = false;
      return this.n > 0 ? h[0] : Infinity;
    }
    const ft = f[this.fifoHead];
    this.topInFifo = this.n === 0 || ft < h[0] || (ft === h[0] && f[this.fifoHead + 1] < h[1]);
    return this.topInFifo ? ft : h[0];
  }
  /** Kind of the event selected by the last peek(). */
  topKind(): number {
    return this.topInFifo ? this.fifo[this.fifoHead + 2] : this.heap[2];
  }
  /** Argument of the event selected by the last peek(). */
  topArg(): number {
    return this.topInFifo ? this.fifo[this.fifoHead + 3] : this.heap[3];
  }

  /** Events waiting on the FIFO lane. */
  get fifoLength(): number {
    return (this.fifoTail - this.fifoHead) / STRIDE;
  }
  /** Argument of the FIFO lane's i-th event from its head (0 ≤ i < fifoLength). */
  fifoArg(i: number): number {
    return this.fifo[this.fifoHead + i * STRIDE + 3];
  }

  /** Schedule an event at `time` (seconds); at equal times, events run in push order. */
  push(time: number, kind: number, arg: number): void {
    if (this.n * STRIDE === this.heap.length) this.heap = grow(this.heap);
    const h = this.heap;
    const s = this.seq++;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = h[parent * STRIDE];
      if (pt < time || (pt === time && h[parent * STRIDE + 1] < s)) break;
      const d = i * STRIDE,
        o = parent * STRIDE;
      h[d] = pt;
      h[d + 1] = h[o + 1];
      h[d + 2] = h[o + 2];
      h[d + 3] = h[o + 3];
      i = parent;
    }
    const o = i * STRIDE;
    h[o] = time;
    h[o + 1] = s;
    h[o + 2] = kind;
    h[o + 3] = arg;
  }

  /** Schedule on the FIFO lane; times must not decrease from one call to the next. */
  pushFifo(time: number, kind: number, arg: number): void {
    if (this.fifoTail > this.fifoHead && time < this.fifo[this.fifoTail - STRIDE]) {
      throw new Error("EventQueue.pushFifo: time went backwards");
    }
    if (this.fifoTail === this.fifo.length) {
      // Compact first; grow only if it is really full.
      this.fifo.copyWithin(0, this.fifoHead, this.fifoTail);
      this.fifoTail -= this.fifoHead;
      this.fifoHead = 0;
      if (this.fifoTail === this.fifo.length) this.fifo = grow(this.fifo);
    }
    const f = this.fifo,
      o = this.fifoTail;
    f[o] = time;
    f[o + 1] = this.seq++;
    f[o + 2] = kind;
    f[o + 3] = arg;
    this.fifoTail += STRIDE;
  }

  /** Remove the event selected by peek(). */
  pop(): void {
    if (this.topInFifo) {
      this.fifoHead += STRIDE;
      if (this.fifoHead === this.fifoTail) this.fifoHead = this.fifoTail = 0;
      return;
    }
    const last = --this.n;
    if (last > 0) {
      const h = this.heap,
        o = last * STRIDE;
      this.siftDown(h[o], h[o + 1], h[o + 2], h[o + 3]);
    }
  }

  /**
   * Replace the selected event with a new one: one sift instead of two.
   * NOTE: for performance; an actor rescheduling itself is the common case.
   */
  replaceTop(time: number, kind: number, arg: number): void {
    if (this.topInFifo) {
      this.pop();
      this.push(time, kind, arg);
      return;
    }
    this.siftDown(time, this.seq++, kind, arg);
  }

  private siftDown(time: number, s: number, kind: number, arg: number): void {
    const h = this.heap,
      n = this.n;
    let i = 0;
    for (;;) {
      const first = 2 * i + 1;
      if (first >= n) break;
      // The smaller of the two children.
      let c = first,
        co = first * STRIDE;
      const last = Math.min(first + 2, n);
      for (let j = first + 1; j < last; j++) {
        const jo = j * STRIDE;
        if (h[jo] < h[co] || (h[jo] === h[co] && h[jo + 1] < h[co + 1])) {
          c = j;
          co = jo;
        }
      }
      const ct = h[co];
      if (time < ct || (time === ct && s < h[co + 1])) break;
      const d = i * STRIDE;
      h[d] = ct;
      h[d + 1] = h[co + 1];
      h[d + 2] = h[co + 2];
      h[d + 3] = h[co + 3];
      i = c;
    }
    const o = i * STRIDE;
    h[o] = time;
    h[o + 1] = s;
    h[o + 2] = kind;
    h[o + 3] = arg;
  }

  /** Bytes held by the queue's arrays. */
  get bytes(): number {
    return this.heap.byteLength + this.fifo.byteLength;
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
