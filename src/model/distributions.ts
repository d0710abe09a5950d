/**
 * Named distributions for the parameters of docs/model.md#parameters that take one.
 *
 * A distribution is written as a number (fixed) or a string:
 *   `exp:MEAN`, `uniform:MIN:MAX`, `lognormal:MU:SIGMA` (of the underlying normal),
 *   `pareto:SCALE:SHAPE`, `zipf:S:CAP` (integers 1..CAP with P(k) ∝ k^-S),
 *   `hist:V=W,V=W,…` (empirical histogram: value V with weight W).
 * The canonical form (what results echo back) is the number, or the string re-printed
 * from its parsed fields, so equal distributions print equally.
 */

import { InputError } from "../errors.js";
import { parseDecimal } from "../numbers.js";

/**
 * A parsed distribution, one variant per form; the unit is the parameter's (seconds for
 * durations and gaps, a count for share counts). parseDistribution makes one,
 * formatDistribution prints it back, sampler draws from it.
 */
export type Distribution =
  | {
      /** Always `value`. */
      kind: "fixed";
      /** The value. */
      value: number;
    }
  | {
      /** Exponential (`exp:MEAN`, also spelled `exponential:MEAN`). */
      kind: "exp";
      /** Mean, > 0. */
      mean: number;
    }
  | {
      /** Uniform on [min, max) (`uniform:MIN:MAX`). */
      kind: "uniform";
      /** Lower end. */
      min: number;
      /** Upper end, >= min. */
      max: number;
    }
  | {
      /** Log-normal (`lognormal:MU:SIGMA`): exp of a normal. */
      kind: "lognormal";
      /** Mean of the underlying normal (of the log). */
      mu: number;
      /** Standard deviation of the underlying normal, >= 0. */
      sigma: number;
    }
  | {
      /** Pareto type I (`pareto:SCALE:SHAPE`): P(X > x) = (scale/x)^shape for x >= scale. */
      kind: "pareto";
      /** Scale (the minimum value), > 0. */
      scale: number;
      /** Shape (tail index), > 0; the mean is infinite for shape <= 1. */
      shape: number;
    }
  | {
      /** Zipf on the integers 1..cap (`zipf:S:CAP`): P(k) ∝ k^-s. */
      kind: "zipf";
      /** Exponent, >= 0 (0: uniform on 1..cap). */
      s: number;
      /** Largest value, an integer in 1..2^24. */
      cap: number;
    }
  | {
      /** Empirical histogram (`hist:V=W,V=W,…`). */
      kind: "hist";
      /** The values, in the order written. */
      values: number[];
      /** Their weights, >= 0, at least one > 0 (need not sum to 1). */
      weights: number[];
    };

/** A distribution as users write it: a number or one of the strings above. */
export type DistributionSpec = number | string;

/** The forms a distribution may be written in, as one phrase for error messages and help. */
export const DISTRIBUTION_FORMS =
  "a number, exp:MEAN, uniform:MIN:MAX, lognormal:MU:SIGMA, pareto:SCALE:SHAPE, zipf:S:CAP or hist:V=W,…";

/** Thrown with a message that says what is wrong with the string (the caller adds the field). */
export class DistributionError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "DistributionError";
  }
}

/** A field of a distribution string: a decimal number as JSON writes it (src/numbers.ts), not 0x10 or 0b101. */
function num(text: string, what: string): number {
  const v = parseDecimal(text);
  if (v === null) throw new DistributionError(`${what} must be a finite decimal number, got '${text}'`);
  return v;
}

/**
 * Parse a number or a distribution string (see the file's header for the forms). Throws
 * DistributionError saying what is wrong: an unknown form, the wrong number of fields, a
 * field that is not a finite number, or one out of range.
 *
 * @example
 * ```ts
 * parseDistribution("exp:10"); // => { kind: "exp", mean: 10 }
 * parseDistribution(" 5 "); // => { kind: "fixed", value: 5 }
 * distributionMean(parseDistribution("uniform:2:4")); // => 3
 * formatDistribution(parseDistribution("zipf:1.1:4096")); // => "zipf:1.1:4096"
 * ```
 */
export function parseDistribution(spec: DistributionSpec): Distribution {
  if (typeof spec === "number") {
    if (!Number.isFinite(spec)) throw new DistributionError(`must be finite, got ${spec}`);
    return { kind: "fixed", value: spec };
  }
  if (typeof spec !== "string") throw new DistributionError(`must be ${DISTRIBUTION_FORMS}`);
  const text = spec.trim();
  // Anything that starts like a number and has no ':' is meant as one (5, 1e3, but also 0x10: refused).
  if (/^[-+0-9.]/.test(text) && !text.includes(":")) return { kind: "fixed", value: num(text, "value") };
  const [name, ...args] = text.split(":");
  const form = Object.hasOwn(FORMS, name) ? FORMS[name] : undefined;
  if (!form) throw new DistributionError(`unknown distribution '${name}' in '${spec}': expected ${DISTRIBUTION_FORMS}`);
  if (args.length !== form.fields) throw new DistributionError(`'${spec}' is malformed: expected ${form.usage}`);
  return form.parse(args, spec);
}

/** One form of a distribution string: its field count, its usage text, and its parser (fields checked). */
interface Form {
  /** Fields after the name, ':'-separated. */
  readonly fields: number;
  /** The form as an error message spells it, e.g. `uniform:MIN:MAX`. */
  readonly usage: string;
  /** The distribution from the fields; throws DistributionError on a field out of range. */
  readonly parse: (args: string[], spec: string) => Distribution;
}

/** exp:MEAN, MEAN > 0. */
const EXP: Form = {
  fields: 1,
  usage: "exp:MEAN",
  parse: ([m]) => {
    const mean = num(m, "exp mean");
    if (mean <= 0) throw new DistributionError(`exp mean must be > 0, got ${mean}`);
    return { kind: "exp", mean };
  },
};

/** hist:V=W,V=W,…: weights >= 0, one of them positive. */
function parseHist(field: string, spec: string): Distribution {
  const values: number[] = [],
    weights: number[] = [];
  for (const part of field.split(",")) {
    const [v, w, extra] = part.split("=");
    if (w === undefined || extra !== undefined)
      throw new DistributionError(`'${spec}' is malformed: expected hist:V=W,V=W,…`);
    const weight = num(w, "hist weight");
    if (weight < 0) throw new DistributionError(`hist weights must be >= 0, got ${weight}`);
    values.push(num(v, "hist value"));
    weights.push(weight);
  }
  if (!weights.some((w) => w > 0)) throw new DistributionError(`hist needs a positive weight`);
  return { kind: "hist", values, weights };
}

/** Every named form (the file's header lists them), by name. */
const FORMS: Readonly<Record<string, Form>> = {
  fixed: { fields: 1, usage: "fixed:VALUE", parse: ([v]) => ({ kind: "fixed", value: num(v, "value") }) },
  exp: EXP,
  exponential: EXP,
  uniform: {
    fields: 2,
    usage: "uniform:MIN:MAX",
    parse: ([a, b]) => {
      const min = num(a, "uniform min"),
        max = num(b, "uniform max");
      if (!(min <= max)) throw new DistributionError(`uniform needs MIN <= MAX, got ${min} > ${max}`);
      return { kind: "uniform", min, max };
    },
  },
  lognormal: {
    fields: 2,
    usage: "lognormal:MU:SIGMA",
    parse: ([a, b]) => {
      const mu = num(a, "lognormal mu"),
        sigma = num(b, "lognormal sigma");
      if (sigma < 0) throw new DistributionError(`lognormal sigma must be >= 0, got ${sigma}`);
      return { kind: "lognormal", mu, sigma };
    },
  },
  pareto: {
    fields: 2,
    usage: "pareto:SCALE:SHAPE",
    parse: ([a, b]) => {
      const scale = num(a, "pareto scale"),
        shape = num(b, "pareto shape");
      if (scale <= 0 || shape <= 0) throw new DistributionError(`pareto needs SCALE > 0 and SHAPE > 0`);
      return { kind: "pareto", scale, shape };
    },
  },
  zipf: {
    fields: 2,
    usage: "zipf:S:CAP",
    parse: ([a, b]) => {
      const s = num(a, "zipf exponent"),
        cap = num(b, "zipf cap");
      if (s < 0) throw new DistributionError(`zipf exponent must be >= 0, got ${s}`);
      if (!Number.isInteger(cap) || cap < 1 || cap > 1 << 24)
        throw new DistributionError(`zipf cap must be an integer in 1..16777216, got ${b}`);
      return { kind: "zipf", s, cap };
    },
  },
  hist: { fields: 1, usage: "hist:V=W,V=W,…", parse: ([field], spec) => parseHist(field, spec) },
};

/** The canonical spelling of a distribution: a number when fixed. */
export function formatDistribution(d: Distribution): DistributionSpec {
  switch (d.kind) {
    case "fixed":
      return d.value;
    case "exp":
      return `exp:${d.mean}`;
    case "uniform":
      return `uniform:${d.min}:${d.max}`;
    case "lognormal":
      return `lognormal:${d.mu}:${d.sigma}`;
    case "pareto":
      return `pareto:${d.scale}:${d.shape}`;
    case "zipf":
      return `zipf:${d.s}:${d.cap}`;
    case "hist":
      return `hist:${d.values.map((v, i) => `${v}=${d.weights[i]}`).join(",")}`;
  }
}

/** Smallest and largest value a distribution can produce (Infinity if unbounded). */
export function distributionRange(d: Distribution): [number, number] {
  switch (d.kind) {
    case "fixed":
      return [d.value, d.value];
    case "exp":
      return [0, Infinity];
    case "uniform":
      return [d.min, d.max];
    case "lognormal":
      return [0, d.sigma === 0 ? Math.exp(d.mu) : Infinity];
    case "pareto":
      return [d.scale, Infinity];
    case "zipf":
      return [1, d.cap];
    case "hist": {
      const live = d.values.filter((_, i) => d.weights[i] > 0);
      return [Math.min(...live), Math.max(...live)];
    }
  }
}

/** Mean of a distribution (used for the first cycle of a pinner and for documentation). */
export function distributionMean(d: Distribution): number {
  switch (d.kind) {
    case "fixed":
      return d.value;
    case "exp":
      return d.mean;
    case "uniform":
      return (d.min + d.max) / 2;
    case "lognormal":
      return Math.exp(d.mu + (d.sigma * d.sigma) / 2);
    case "pareto":
      return d.shape > 1 ? (d.shape * d.scale) / (d.shape - 1) : Infinity;
    case "zipf": {
      let num = 0,
        den = 0;
      for (let k = 1; k <= d.cap; k++) {
        const w = Math.pow(k, -d.s);
        num += k * w;
        den += w;
      }
      return num / den;
    }
    case "hist": {
      const total = d.weights.reduce((a, b) => a + b, 0);
      return d.values.reduce((a, v, i) => a + v * d.weights[i], 0) / total;
    }
  }
}

/** A source of uniform doubles in [0, 1). */
export type Uniform = () => number;

/** Compile a distribution into a sampler drawing from `u`. */
export function sampler(d: Distribution): (u: Uniform) => number {
  switch (d.kind) {
    case "fixed": {
      const v = d.value;
      return () => v;
    }
    case "exp": {
      const m = d.mean;
      return (u) => -m * Math.log(1 - u());
    }
    case "uniform": {
      const a = d.min,
        w = d.max - d.min;
      return (u) => a + w * u();
    }
    case "lognormal": {
      const { mu, sigma } = d;
      // Box–Muller; one normal per call keeps the stream position simple to reason about.
      return (u) => Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
    }
    case "pareto": {
      const { scale, shape } = d;
      return (u) => scale / Math.pow(1 - u(), 1 / shape);
    }
    case "zipf":
    case "hist": {
      const values = d.kind === "zipf" ? Array.from({ length: d.cap }, (_, i) => i + 1) : d.values;
      const weights = d.kind === "zipf" ? values.map((k) => Math.pow(k, -d.s)) : d.weights;
      const cdf = new Float64Array(weights.length);
      let acc = 0;
      for (let i = 0; i < weights.length; i++) cdf[i] = acc += weights[i];
      for (let i = 0; i < cdf.length; i++) cdf[i] /= acc;
      const vals = Float64Array.from(values);
      return (u) => {
        const x = u();
        let lo = 0,
          hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        return vals[lo];
      };
    }
  }
}
