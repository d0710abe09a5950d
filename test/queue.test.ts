/**
 * The engine's event queue (src/engine/queue.ts): whatever lane an event is given, events come
 * out in (time, scheduling order) — the order a seeded run depends on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EventQueue } from "../src/engine/queue.js";

/** A reference queue: every event in an array, the earliest by (time, order of scheduling) taken first. */
class Reference {
  private events: { time: number; seq: number; kind: number; arg: number }[] = [];
  private seq = 0;
  push(time: number, kind: number, arg: number): void {
    this.events.push({ time, seq: this.seq++, kind, arg });
  }
  pop(): { time: number; kind: number; arg: number } | undefined {
    if (this.events.length === 0) return undefined;
    let b = 0;
    for (let i = 1; i < this.events.length; i++) {
      const e = this.events[i],
        x = this.events[b];
      if (e.time < x.time || (e.time === x.time && e.seq < x.seq)) b = i;
    }
    return this.events.splice(b, 1)[0];
  }
}

test("heap, FIFO and lanes together pop in (time, scheduling order), as one sorted list does", () => {
  // An operation: [what, lane, delay]; times are the current time plus a delay drawn from few
  // values, so that equal times (ties broken by scheduling order) are frequent.
  const op = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom(0, 0.5, 1, 2, 3));
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
      const q = new EventQueue(2); // tiny: the lanes compact and grow
      const ref = new Reference();
      let now = 0,
        id = 0,
        fifoLast = 0;
      for (const [what, lane, delay] of ops) {
        const t = now + delay;
        if (what === 0) {
          q.push(t, 1, id);
          ref.push(t, 1, id++);
        } else if (what === 1 && t >= fifoLast) {
          q.pushFifo(t, 2, id);
          ref.push(t, 2, id++);
          fifoLast = t;
        } else if (what === 2) {
          q.pushLane(lane, t, 3, id);
          ref.push(t, 3, id++);
          if (lane === 0) fifoLast = Math.max(fifoLast, t);
        } else {
          // Take the earliest event, then (3) replace it on the heap or (4) on a lane.
          const e = ref.pop();
          const qt = q.peek();
          if (e === undefined) {
            assert.equal(qt, Infinity);
            continue;
          }
          assert.deepEqual([qt, q.topKind(), q.topArg()], [e.time, e.kind, e.arg]);
          now = e.time;
          if (what === 3) q.replaceTop(now + delay, 4, id);
          else q.replaceTopOnLane(lane, now + delay, 4, id);
          ref.push(now + delay, 4, id++);
          if (what === 4 && lane === 0) fifoLast = Math.max(fifoLast, now + delay);
        }
      }
      // Drain: the same sequence.
      for (let e = ref.pop(); e !== undefined; e = ref.pop()) {
        assert.deepEqual([q.peek(), q.topKind(), q.topArg()], [e.time, e.kind, e.arg]);
        q.pop();
      }
      assert.equal(q.peek(), Infinity);
      assert.equal(q.size, 0);
    }),
    { numRuns: 300, seed: 23 },
  );
});

test("pushFifo refuses a time before the lane's last; pushLane puts it on the heap instead", () => {
  const q = new EventQueue();
  q.pushFifo(5, 1, 0);
  assert.throws(() => q.pushFifo(4, 1, 1), /time went backwards/);
  q.pushLane(1, 5, 2, 2);
  q.pushLane(1, 3, 2, 3); // before lane 1's last: the heap takes it
  assert.equal(q.size, 3);
  assert.deepEqual([q.peek(), q.topArg()], [3, 3]);
});
