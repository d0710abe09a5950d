/**
 * Time to the first crash under `fsBehavior: "ext4-bug"`: ext4_writepages BUG()s on a
 * dirty page without buffers (the ext4 report in the 2018–2019 threads), and the run stops
 * there (`result.crashedAt`, seconds; null when the run survived). Drawn as survival
 * curves: the share of runs still up against time, one step per crash, runs that survived
 * censored at their duration; a policy that never crashes stays at 100 %.
 */
import * as Plot from "@observablehq/plot";
import { wilsonInterval } from "../stats/wilson-interval.js";
import { formatNumber, formatShare } from "./format.js";
import { policyOrder } from "./figure.js";
import type { FigureOptions } from "./svg.js";
import { fitWidth } from "./text-chart.js";
import { textTable } from "./text-table.js";
import { PlotInputError } from "./table.js";

/** One series (a policy, usually): the crash time of each run (null: survived) and the run length. */
export interface CrashTimes {
  /** The series' label (a policy id, or a point's key). */
  name: string;
  /** Seconds of the first BUG of each run, null where the run reached `duration`. */
  crashedAt: (number | null)[];
  /** Simulated seconds of a run that survives. */
  duration: number;
}

interface Step {
  t: number;
  up: number;
  name: string;
}

/** Survival steps: (0, 1), then after each crash the share of runs still up. */
export function survivalSteps(c: CrashTimes): Step[] {
  const n = c.crashedAt.length;
  if (n === 0) throw new PlotInputError(`first-crash: series ${c.name} has no runs`);
  const times = c.crashedAt.filter((t): t is number => t !== null).sort((a, b) => a - b);
  const out: Step[] = [{ t: 0, up: 1, name: c.name }];
  times.forEach((t, i) => out.push({ t, up: (n - i - 1) / n, name: c.name }));
  out.push({ t: c.duration, up: (n - times.length) / n, name: c.name });
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Plot options: one survival step line per series, a dot at each crash. */
export function firstCrashPlot(
  series: CrashTimes[],
  options: { width?: number; title?: string; caption?: string } = {},
): FigureOptions {
  const names = policyOrder(series.map((s) => s.name));
  const steps = series.flatMap(survivalSteps);
  const crashes = steps.filter((s, i) => i > 0 && steps[i - 1]!.name === s.name && s.up < steps[i - 1]!.up);
  const duration = Math.max(...series.map((s) => s.duration));
  return {
    title: options.title ?? "Time to the first crash under ext4-bug",
    subtitle:
      "share of runs not yet crashed (ext4_writepages BUG on a dirty page without buffers); dots: crashes; a line at 100 % never crashed",
    caption: options.caption,
    width: options.width ?? 720,
    height: 320,
    marginRight: 20,
    x: { label: "simulated time (s) →", domain: [0, duration], grid: true },
    y: { label: "↑ runs still up (%)", percent: true, domain: [0, 100], grid: true },
    color: { domain: names, scheme: "observable10", legend: true },
    symbol: { domain: names },
    marks: [
      // One line per series, offset by a pixel or two, so that equal curves stay visible side by side.
      ...names.map((n, i) =>
        Plot.line(
          steps.filter((s) => s.name === n),
          {
            x: "t",
            y: "up",
            stroke: "name",
            curve: "step-after",
            strokeWidth: 1.8,
            dy: (i - (names.length - 1) / 2) * 2,
          },
        ),
      ),
      Plot.dot(crashes, { x: "t", y: "up", stroke: "name", symbol: "name", r: 3.5 }),
      Plot.ruleY([0]),
    ],
  };
}

/** The same as a table (crashed runs with a Wilson interval, first/median/last crash), at most 72 columns. */
export function firstCrashText(series: CrashTimes[], options: { title?: string; provenance?: string } = {}): string {
  const names = policyOrder(series.map((s) => s.name));
  const rows = names.map((n) => {
    const s = series.find((x) => x.name === n)!;
    const times = s.crashedAt.filter((t): t is number => t !== null);
    const [lo, hi] = wilsonInterval(times.length, s.crashedAt.length);
    return [
      n,
      `${times.length}/${s.crashedAt.length}`,
      formatShare(times.length / s.crashedAt.length, lo, hi),
      times.length ? formatNumber(Math.min(...times)) : "–",
      formatNumber(median(times)),
    ];
  });
  const lines = [
    options.title ?? "Time to the first crash under ext4-bug (ext4_writepages BUG)",
    "",
    textTable(["policy", "crashed", "share [95 % W.]", "first (s)", "median (s)"], rows).trimEnd(),
    "share: of runs, with its 95 % Wilson interval",
    "median: of the runs that crashed; – none did",
  ];
  if (options.provenance) lines.push(options.provenance);
  return fitWidth(lines.join("\n") + "\n");
}
