/**
 * One step table per actor, and the three views the search needs derived from it: the
 * step to run (`step`), what it reads and writes now (`footprint`), and what every step
 * the actor may still take reads and writes (`future`, the union over the successors the
 * table declares). The partial-order reduction (src/checker/search.ts) is sound only if
 * these agree; with one table they cannot drift apart, and a pc without an entry has no
 * step to run. test/checker-steps.test.ts checks each entry against what its step does.
 */
import { EVERYTHING, futures } from "../footprint.js";
import { DONE, type Actor, type StepContext } from "./actor.js";
import type { ActorSpec } from "../scenario.js";

/** A step's code: run it from the registers at `r[o..]`; returns its label (LABELS) or BLOCKED. */
export type StepRun = (ctx: StepContext, r: Int32Array, o: number) => number;

/** A step's footprint in the current state (within the step's declared `footprint`). */
export type FootprintNow = (ctx: StepContext, r: Int32Array, o: number) => number;

/**
 * One entry of a step table: what the step may touch, where it may leave the actor, and
 * its code. `Next` is the type of the program's pcs, so a successor outside the program
 * does not compile.
 */
export interface Step<Next extends number = number> {
  /**
   * What the step reads and writes in any state (PAGE_VAR bits, `reads | writes << 16`,
   * src/checker/footprint.ts): the step's share of `future`, and its footprint unless
   * `now` refines it.
   */
  readonly footprint: number;
  /** The footprint in the current state, where it depends on the state; must lie within `footprint`. */
  readonly now?: FootprintNow;
  /**
   * Every pc the step may leave the actor at when it runs (DONE when it may finish). A
   * step that returns BLOCKED changed nothing and goes nowhere.
   */
  readonly next: readonly Next[];
  /** The step itself. */
  readonly run: StepRun;
}

/**
 * A complete step table over the pcs `Pc`: a pc without an entry is a type error.
 * `Next` defaults to those pcs and DONE.
 */
export type StepTable<Pc extends number, Next extends number = Pc | typeof DONE> = { readonly [K in Pc]: Step<Next> };

/**
 * An actor's step table made ready for the search: per pc (dense typed arrays and arrays
 * of functions, built once) the constant footprint or -1 where the step refines it, the
 * refinement, the code and the future footprint.
 */
export class Program {
  /** Per pc: the step's footprint, or -1 where `now` computes it per state. EVERYTHING where no step is. */
  readonly fixed: Int32Array;
  /** Per pc: the footprint's refinement in the current state, or null. */
  readonly now: (FootprintNow | null)[];
  /** Per pc: the step's code (a pc without a step throws `NAME: bad pc N`). */
  readonly run: StepRun[];
  /** Per pc: the union of the footprints of every step reachable from it, itself included (footprint.ts futures). */
  readonly future: Int32Array;
  /** The table's entries, by pc. */
  readonly steps: ReadonlyMap<number, Step>;

  /**
   * @param name the actor kind, for messages (`flusher`)
   * @param table the step of each pc (pc 0 is DONE and has none)
   * @throws Error a pc that is not a positive integer, a step without a numeric footprint or
   *   code, or a successor that is neither DONE nor a pc of the table
   */
  constructor(
    readonly name: string,
    table: Readonly<Record<number, Step>>,
  ) {
    const steps = new Map<number, Step>(Object.entries(table).map(([pc, s]) => [Number(pc), s]));
    for (const [pc, s] of steps) {
      if (!Number.isInteger(pc) || pc <= DONE) throw new Error(`${name}: step pc ${pc} is not a positive integer`);
      if (!Number.isInteger(s.footprint) || s.footprint < 0 || typeof s.run !== "function")
        throw new Error(`${name}: step ${pc} needs a footprint and its code`);
      for (const n of s.next)
        if (n !== DONE && !steps.has(n)) throw new Error(`${name}: step ${pc} may go to ${n}, which has no step`);
    }
    const size = Math.max(0, ...steps.keys()) + 1;
    const bad: StepRun = (_ctx, r, o) => {
      throw new Error(`${name}: bad pc ${r[o]}`);
    };
    this.steps = steps;
    this.fixed = Int32Array.from({ length: size }, (_, pc) => {
      const s = steps.get(pc);
      return s === undefined ? EVERYTHING : s.now ? -1 : s.footprint;
    });
    this.now = Array.from({ length: size }, (_, pc) => steps.get(pc)?.now ?? null);
    this.run = Array.from({ length: size }, (_, pc) => steps.get(pc)?.run ?? bad);
    this.future = futures(Object.fromEntries([...steps].map(([pc, s]) => [pc, [s.footprint, s.next]])), size);
  }
}

/**
 * An actor whose three views come from its Program: `step`, `footprint` and `future`
 * read the table, with no per-actor code. A subclass gives its name, title, register
 * count and `init`.
 */
export abstract class TableActor implements Actor {
  /** Registers, the program counter first. */
  abstract readonly size: number;
  /** Never finishes (the I/O completion). */
  declare readonly daemon?: boolean;
  // NOTE: for performance, the program's arrays are held directly (one load each per call).
  private readonly fixed: Int32Array;
  private readonly now: (FootprintNow | null)[];
  private readonly run: StepRun[];
  private readonly fut: Int32Array;

  /**
   * @param program the actor's step table, ready for the search
   * @param name the actor's name on its `Actor` line (`P0`)
   * @param title the lane header of witnesses (`P1 WB_SYNC_NONE`)
   */
  constructor(
    readonly program: Program,
    readonly name: string,
    readonly title: string,
  ) {
    this.fixed = program.fixed;
    this.now = program.now;
    this.run = program.run;
    this.fut = program.future;
  }

  /** Set the registers for one concrete alternative of the actor's declaration. */
  abstract init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void;

  /** Run the step at the pc (`r[o]`): its label, or BLOCKED with nothing changed. */
  step(ctx: StepContext, r: Int32Array, o: number): number {
    return this.run[r[o]](ctx, r, o);
  }

  /** The footprint of the step at the pc, in the current state. */
  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    const pc = r[o],
      f = this.fixed[pc];
    return f >= 0 ? f : this.now[pc]!(ctx, r, o);
  }

  /** The footprint of every step the actor may still take from the pc. */
  future(r: Int32Array, o: number): number {
    return this.fut[r[o]];
  }
}
