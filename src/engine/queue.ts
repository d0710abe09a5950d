/**
 * The event queue: a binary min-heap keyed on (time, sequence), so events at equal times
 * run in the order they were scheduled and a seeded run repeats exactly.
 * NOTE: parallel typed arrays instead of event objects, for performance (the hot loop
 * pushes and pops tens of millions of events in the large benchmark).
 */
export class EventQueue {
  private time: Float64Array;
  private seq: Float64Array;
  private kind: Uint8Array;
  private arg: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(capacity = 1024) {
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.arg = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.n > 0 ? this.time[0] : Infinity;
  }
  peekKind(): number {
    return this.kind[0];
  }
  peekArg(): number {
    return this.arg[0];
  }

  push(time: number, kind: number, arg: number): void {
    if (this.n === this.time.length) this.grow();
    let i = this.n++;
    const s = this.nextSeq++;
    // sift up
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.time[parent];
      if (pt < time || (pt === time && this.seq[parent] < s)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, s, kind, arg);
  }

  /** Remove the earliest event (read it first with peek*). */
  pop(): void {
    const last = --this.n;
    if (last > 0) this.siftDown(this.time[last], this.seq[last], this.kind[last], this.arg[last]);
  }

  /**
   * Replace the earliest event with a new one: one sift instead of two.
   * NOTE: for performance; an actor rescheduling itself is the common case.
   */
  replaceTop(time: number, kind: number, arg: number): void {
    this.siftDown(time, this.nextSeq++, kind, arg);
  }

  private siftDown(time: number, s: number, kind: number, arg: number): void {
    const n = this.n;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (this.time[r] < this.time[c] || (this.time[r] === this.time[c] && this.seq[r] < this.seq[c]))) c = r;
      const ct = this.time[c];
      if (time < ct || (time === ct && s < this.seq[c])) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, time, s, kind, arg);
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from];
    this.seq[to] = this.seq[from];
    this.kind[to] = this.kind[from];
    this.arg[to] = this.arg[from];
  }

  private set(i: number, time: number, s: number, kind: number, arg: number): void {
    this.time[i] = time;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.arg[i] = arg;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const t = new Float64Array(cap); t.set(this.time); this.time = t;
    const s = new Float64Array(cap); s.set(this.seq); this.seq = s;
    const k = new Uint8Array(cap); k.set(this.kind); this.kind = k;
    const a = new Int32Array(cap); a.set(this.arg); this.arg = a;
  }

  /** Bytes held by the queue's arrays. */
  get bytes(): number {
    return this.time.byteLength + this.seq.byteLength + this.kind.byteLength + this.arg.byteLength;
  }
}
