// The engine's event queue; the class below carries the docs (tslab shows them on Shift-Tab).
const STRIDE = 4; // time, seq, kind, arg
/** The FIFO lanes besides the heap (EventQueue.LANES). */
const LANES = 3;

/**
 * The engine's event queue: a binary min-heap keyed on (time, sequence), so events at equal times
 * run in the order they were scheduled and a seeded run repeats exactly.
 *
 * Besides the heap, LANES FIFO lanes hold events scheduled at non-decreasing times (each lane
 * for one kind of delay: end_page_writeback with a fixed latency, a pinner's fixed hold, its
 * fixed gap): the earliest event is the smallest of the heap's top and the lanes' heads, still
 * by (time, sequence), so the order is exactly that of one heap. An event for a lane that would
 * go back in time goes to the heap instead (pushLane), so any delays may be given a lane.
 * NOTE: typed arrays with the four fields of a node interleaved, and the FIFO lanes, are
 * for performance: the large benchmark moves tens of millions of events, most of them on
 * lanes (a push and a pop in constant time instead of a sift through ten thousand pinners).
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
  /** FIFO lanes: 0 is pushFifo's; pushLane takes any of 0..LANES-1. */
  static readonly LANES = LANES;
  private heap: Float64Array;
  private n = 0;
  /** Each lane's events, STRIDE numbers each, from head[l] (inclusive) to tail[l] (exclusive). */
  private readonly lane: Float64Array[] = [];
  private readonly head = new Int32Array(LANES);
  private readonly tail = new Int32Array(LANES);
  /** Each lane's head event's time and sequence (Infinity when empty), so peek reads one small array. */
  private readonly headTime = new Float64Array(LANES).fill(Infinity);
  private readonly headSeq = new Float64Array(LANES).fill(Infinity);
  private seq = 0;
  /** Where the event selected by the last peek() is: -1 the heap's top, else the head of that lane. */
  private top = -1;

  /** @param capacity events the heap and each lane hold before they first grow (they double when full). */
  constructor(capacity = 1024) {
    this.heap = new Float64Array(capacity * STRIDE);
    for (let l = 0; l < LANES; l++) this.lane.push(new Float64Array(capacity * STRIDE));
  }

  /** Events waiting, in the heap and the lanes. */
  get size(): number {
    let s = this.n;
    for (let l = 0; l < LANES; l++) s += (this.tail[l] - this.head[l]) / STRIDE;
    return s;
  }

  /**
   * Select the earliest event and return its time (Infinity when empty); read it with
   * topKind/topArg, then remove it with pop() or replaceTop().
   */
  peek(): number {
    const h = this.heap,
      lt = this.headTime,
      ls = this.headSeq;
    let top = -1,
      t = Infinity,
      s = 0;
    if (this.n > 0) {
      t = h[0];
      s = h[1];
    }
    for (let l = 0; l < LANES; l++) {
      const u = lt[l];
      if (u < t || (u === t && ls[l] < s)) {
        top = l;
        t = u;
        s = ls[l];
      }
    }
    this.top = top;
    return t;
  }
  /** Kind of the event selected by the last peek(). */
  topKind(): number {
    return this.top < 0 ? this.heap[2] : this.lane[this.top][this.head[this.top] + 2];
  }
  /** Argument of the event selected by the last peek(). */
  topArg(): number {
    return this.top < 0 ? this.heap[3] : this.lane[this.top][this.head[this.top] + 3];
  }

  /** Events waiting on lane 0 (pushFifo's). */
  get fifoLength(): number {
    return (this.tail[0] - this.head[0]) / STRIDE;
  }
  /** Argument of lane 0's i-th event from its head (0 ≤ i < fifoLength). */
  fifoArg(i: number): number {
    return this.lane[0][this.head[0] + i * STRIDE + 3];
  }

  /** Schedule an event at `time` (seconds) on the heap; at equal times, events run in push order. */
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

  /** Schedule on lane 0; times must not decrease from one call to the next. @throws Error if one does */
  pushFifo(time: number, kind: number, arg: number): void {
    if (this.tail[0] > this.head[0] && time < this.lane[0][this.tail[0] - STRIDE]) {
      throw new Error("EventQueue.pushFifo: time went backwards");
    }
    this.append(0, time, kind, arg);
  }

  /** Schedule on lane `l` (0..LANES-1), or on the heap if `time` is before the lane's last event: the same order either way. */
  pushLane(l: number, time: number, kind: number, arg: number): void {
    if (this.tail[l] > this.head[l] && time < this.lane[l][this.tail[l] - STRIDE]) this.push(time, kind, arg);
    else this.append(l, time, kind, arg);
  }

  private append(l: number, time: number, kind: number, arg: number): void {
    if (this.tail[l] === this.lane[l].length) {
      // Compact first; grow if that left it over half full (so a compaction copies at most
      // as many events as were pushed since the last one).
      this.lane[l].copyWithin(0, this.head[l], this.tail[l]);
      this.tail[l] -= this.head[l];
      this.head[l] = 0;
      if (2 * this.tail[l] > this.lane[l].length) this.lane[l] = grow(this.lane[l]);
    }
    const f = this.lane[l],
      o = this.tail[l];
    f[o] = time;
    f[o + 1] = this.seq++;
    f[o + 2] = kind;
    f[o + 3] = arg;
    this.tail[l] = o + STRIDE;
    if (o === this.head[l]) {
      this.headTime[l] = time;
      this.headSeq[l] = f[o + 1];
    }
  }

  /** Remove the event selected by peek(). */
  pop(): void {
    const l = this.top;
    if (l >= 0) {
      const i = (this.head[l] += STRIDE);
      if (i === this.tail[l]) {
        this.head[l] = this.tail[l] = 0;
        this.headTime[l] = this.headSeq[l] = Infinity;
      } else {
        this.headTime[l] = this.lane[l][i];
        this.headSeq[l] = this.lane[l][i + 1];
      }
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
   * Replace the selected event with a new one on the heap: one sift instead of two.
   * NOTE: for performance; an actor rescheduling itself is the common case.
   */
  replaceTop(time: number, kind: number, arg: number): void {
    if (this.top >= 0) {
      this.pop();
      this.push(time, kind, arg);
      return;
    }
    this.siftDown(time, this.seq++, kind, arg);
  }

  /** Replace the selected event with a new one on lane `l` (pushLane: the heap if it would go back in time). */
  replaceTopOnLane(l: number, time: number, kind: number, arg: number): void {
    this.pop();
    this.pushLane(l, time, kind, arg);
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
    return this.heap.byteLength + this.lane.reduce((b, f) => b + f.byteLength, 0);
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
