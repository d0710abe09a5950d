/**
 * Figures of a calibration folder (`pinsim calibrate`, src/calibrate): the clean-delay
 * histograms of kernel and model overlaid with the window [E, E + P), the detector's
 * threshold step, and the refusal matrix of long-term pins. Each as Observable Plot
 * options (SVG, PNG) and as text (<= 72 columns).
 */
import * as Plot from "@observablehq/plot";
import type { Calibration } from "../calibrate/store.js";
import { plotSvg, type FigureOptions } from "./svg.js";
import { svgToPng } from "./png.js";
import { textTable } from "./text-table.js";
import { PlotInputError } from "./table.js";
import { showValue } from "../errors.js";
import type { Format } from "./figures.js";

/**
 * A figure of a calibration folder (`pinsim plot` on a calibration, notebook 08): the same
 * data as Observable Plot options (for SVG and PNG) or as a text table.
 */
export interface CalibrationFigure {
  /** The `--figure` name, e.g. `calibration-clean-delay`; also the file name without extension. */
  name: string;
  /** One line for `pinsim plot --list` and the figure's caption. */
  description: string;
  /** Why this calibration cannot show the figure (that part did not run), or null. */
  missing(c: Calibration): string | null;
  /** The figure as Observable Plot options; call only when missing(c) is null (it reads the part's data unchecked). */
  plot(c: Calibration): FigureOptions;
  /** The figure as plain text (a table, no colour), ending in a newline; same precondition as plot. */
  text(c: Calibration): string;
}

function caption(c: Calibration): string {
  return `Linux ${c.machine.kernelRelease}, HZ ${c.machine.hzUsed}, ${c.machine.filesystem.type}; E = ${c.expire} s, W = ${c.writebackInterval} s; ${c.config.mode} run ${c.finishedAt.slice(0, 16)}Z; probes ${c.probes.sourceHash.slice(0, 12)}; ${c.pinsim}`;
}

/** Most bins a clean-delay histogram draws. */
const MAX_BINS = 20_000;

/**
 * Bins of `width` s aligned on E (E is a bin edge), at least `margin` bins either side of
 * [E, E + P) and wide enough for every sample, so no sample falls outside the figure.
 */
export function alignedBins(
  values: readonly number[],
  E: number,
  P: number,
  perPeriod: number,
  margin: number,
): { start: number; width: number; bins: number; first: number } {
  const width = P / perPeriod;
  const lo = values.reduce((a, v) => Math.min(a, v), E);
  const hi = values.reduce((a, v) => Math.max(a, v), E + P);
  const below = Math.max(margin, Math.ceil((E - lo) / width));
  const above = Math.max(margin, Math.floor((hi - (E + P)) / width) + 1);
  // A delay thousands of periods from the window (a corrupt sample) would ask for an array
  // too long to draw: refuse it in words.
  if (!(below + perPeriod + above <= MAX_BINS))
    throw new PlotInputError(
      `clean delays from ${showValue(lo)} to ${showValue(hi)} s span more than ${MAX_BINS} bins of ${showValue(width)} s around [E, E+P) (allowed: delays within ${Math.floor(MAX_BINS / perPeriod)} periods of the window)`,
    );
  return { start: E - below * width, width, bins: below + perPeriod + above, first: below };
}

/** Bins of `width` s from `start`: counts as shares of the sample. */
export function histogramShares(values: readonly number[], start: number, width: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.floor((v - start) / width);
    if (i >= 0 && i < bins) counts[i]++;
  }
  return counts.map((x) => (values.length ? x / values.length : 0));
}

function delayData(c: Calibration) {
  const k = c.kernel.cleanDelay!;
  const m = c.model.cleanDelay;
  const E = c.expire;
  const P = m?.period ?? k.windowPeriod;
  const kernel = k.cleanInode.samples;
  const model = m?.cleanInode?.samples ?? [];
  return { k, m, E, P, kernel, model };
}

/**
 * Clean delays (s) of pages dirtied by a store into a clean inode: the kernel's samples and
 * the model's, binned on E, with the window [E, E + P) the flusher's period P predicts
 * (fs/fs-writeback.c wb_check_old_data_flush: inodes dirtied at least E = dirty_expire_interval
 * ago, every P). Needs the clean-delay part.
 */
export const cleanDelayFigure: CalibrationFigure = {
  name: "calibration-clean-delay",
  description: "clean delays of pages dirtied in a clean inode, kernel and model, with the window [E, E+P)",
  missing: (c) => (c.kernel.cleanDelay ? null : "the clean-delay part did not run (--only)"),
  plot(c) {
    const { E, P, kernel, model } = delayData(c);
    // Bins of P/20 aligned on the window, so [E, E+P) is exactly 20 bins.
    const { start: lo, width, bins } = alignedBins([...kernel, ...model], E, P, 20, 4);
    const hi = lo + bins * width;
    const ks = histogramShares(kernel, lo, width, bins);
    const ms = histogramShares(model, lo, width, bins);
    const rows = ks.flatMap((s, i) => [
      { x1: lo + i * width, x2: lo + (i + 1) * width, share: s, source: `kernel (${kernel.length} pages)` },
      { x1: lo + i * width, x2: lo + (i + 1) * width, share: ms[i], source: `model (${model.length} pages)` },
    ]);
    return {
      title: "When the flusher first cleans a page dirtied in a clean inode",
      subtitle: `Share of pages per P/20 = ${width.toFixed(3)} s bin; shaded: [E, E+P) = [${E}, ${(E + P).toFixed(2)}) s, P = kupdatePeriod(W, HZ)`,
      caption: caption(c),
      width: 640,
      height: 280,
      x: { label: "delay from the store to the first clean poll (s) →", domain: [lo, hi] },
      y: { label: "↑ share of pages", grid: true },
      color: {
        legend: true,
        domain: [`kernel (${kernel.length} pages)`, `model (${model.length} pages)`],
        range: ["#4269d0", "#ff725c"],
      },
      marks: [
        Plot.rect([{ x1: E, x2: E + P }], {
          x1: "x1",
          x2: "x2",
          y1: 0,
          y2: Math.max(...ks, ...ms, 0.01) * 1.05,
          fill: "#e8e8e8",
        }),
        Plot.rectY(
          rows.filter((r) => r.source.startsWith("kernel")),
          { x1: "x1", x2: "x2", y: "share", fill: "source", fillOpacity: 0.7, inset: 0.5 },
        ),
        Plot.lineY(
          rows
            .filter((r) => r.source.startsWith("model"))
            .flatMap((r) => [
              { x: r.x1, share: r.share, source: r.source },
              { x: r.x2, share: r.share, source: r.source },
            ]),
          { x: "x", y: "share", stroke: "source", strokeWidth: 1.5 },
        ),
        Plot.ruleX([E, E + P], { stroke: "#555", strokeDasharray: "3,3" }),
        Plot.ruleY([0]),
      ],
    };
  },
  text(c) {
    const { k, E, P, kernel, model } = delayData(c);
    // Bins of P/10 aligned on the window: [E, E+P) is exactly the ten starred bins.
    const { start, width, bins, first } = alignedBins([...kernel, ...model], E, P, 10, 2);
    const ks = histogramShares(kernel, start, width, bins);
    const ms = histogramShares(model, start, width, bins);
    const top = Math.max(...ks, 1e-9);
    const bar = (s: number) => "#".repeat(Math.round((s / top) * 30));
    const rows = ks.map((s, i) => {
      const x = start + i * width;
      const inWin = i >= first && i < first + 10 ? "*" : " ";
      return [`${x.toFixed(2)}${inWin}`, (s * 100).toFixed(0), (ms[i] * 100).toFixed(0), bar(s)];
    });
    const lines = [
      `Clean delays of pages dirtied in a clean inode (% per P/10 = ${width.toFixed(3)} s`,
      `bin); * = bin inside [E, E+P) = [${E}, ${(E + P).toFixed(2)}) s`,
      "",
      textTable(["from s", "kernel%", "model%", "kernel"], rows).trimEnd(),
      "",
      `kernel: ${kernel.length} pages, ${k.cleanInode.window.inWindow} in the window, period ${k.period.period?.toFixed(3) ?? "?"} s; model: ${model.length} pages`,
      caption(c),
    ];
    return (
      lines
        .flatMap((l) => l.split("\n"))
        .flatMap((l) => wrapLine(l))
        .join("\n") + "\n"
    );
  },
};

function wrapLine(l: string): string[] {
  if (l.length <= 72) return [l];
  const out: string[] = [];
  let cur = "";
  for (const w of l.split(" ")) {
    if (cur && cur.length + 1 + w.length > 72) {
      out.push(cur);
      cur = `  ${w}`;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Share of forks that copied an order-0 anonymous page against the plain references k it
 * held, kernel and model: the step at the detector's threshold (mm/memory.c copy_present_pte
 * -> folio_needs_cow_for_dma -> folio_maybe_dma_pinned: refcount >= GUP_PIN_COUNTING_BIAS,
 * 1024). Needs the detector part.
 */
export const thresholdFigure: CalibrationFigure = {
  name: "calibration-threshold",
  description: "share of forks that copied an order-0 anon page against its plain references k, kernel and model",
  missing: (c) => (c.kernel.detector && c.model.detector ? null : "the detector part did not run (--only)"),
  plot(c) {
    const d = c.kernel.detector!;
    const m = c.model.detector!;
    const pts = [
      ...d.lru.perK.map((e) => ({ k: e.k, share: e.copied / e.trials, state: "kernel, page on the LRU", n: e.trials })),
      ...d.batch.perK.map((e) => ({
        k: e.k,
        share: e.copied / e.trials,
        state: "kernel, page in the lru_add batch",
        n: e.trials,
      })),
    ];
    const ks = pts.map((p) => p.k);
    const k0 = Math.min(...ks),
      k1 = Math.max(...ks);
    const step = (t: number | null, state: string) =>
      t === null
        ? []
        : [
            { k: k0 - 0.5, share: 0, state },
            { k: t - 0.5, share: 0, state },
            { k: t - 0.5, share: 1, state },
            { k: k1 + 0.5, share: 1, state },
          ];
    const lines = [...step(m.lru, "model, page on the LRU"), ...step(m.batch, "model, page in the lru_add batch")];
    return {
      title: "From how many plain references does fork() copy a page (folio_maybe_dma_pinned)?",
      subtitle: `Order-0 anonymous page, MMF_HAS_PINNED set; model: its fork (copy_present_pte${m.preset ? ` on ${m.preset}` : ""}), bias ${m.bias}`,
      caption: caption(c),
      width: 640,
      height: 260,
      x: {
        label: "plain (FOLL_GET) references k →",
        ticks: ks.filter((v, i, a) => a.indexOf(v) === i),
        tickFormat: "d",
      },
      y: { label: "↑ share of forks that copied", domain: [-0.05, 1.05] },
      color: {
        legend: true,
        domain: [
          "kernel, page on the LRU",
          "kernel, page in the lru_add batch",
          "model, page on the LRU",
          "model, page in the lru_add batch",
        ],
        range: ["#4269d0", "#6cc5b0", "#ff725c", "#efb118"],
      },
      marks: [
        Plot.line(lines, { x: "k", y: "share", stroke: "state", z: "state", strokeWidth: 1.5, curve: "step-after" }),
        Plot.dot(pts, {
          x: (p: { k: number; state: string }) => p.k + (p.state.includes("batch") ? 0.12 : -0.12),
          y: "share",
          fill: "state",
          r: 4,
        }),
      ],
    };
  },
  text(c) {
    const d = c.kernel.detector!;
    const m = c.model.detector!;
    const ks = [...new Set([...d.lru.perK, ...d.batch.perK].map((e) => e.k))].sort((a, b) => a - b);
    const cell = (s: typeof d.lru, k: number) => {
      const e = s.perK.find((x) => x.k === k);
      return e ? `${e.copied}/${e.trials}` : "-";
    };
    const rows = ks.map((k) => [
      String(k),
      cell(d.lru, k),
      m.lru !== null && k >= m.lru ? "copy" : "share",
      cell(d.batch, k),
      m.batch !== null && k >= m.batch ? "copy" : "share",
    ]);
    return (
      [
        "fork() of an order-0 anon page with k plain references (MMF_HAS_PINNED):",
        "forks that copied / forks, kernel; the model's decision",
        "",
        textTable(["k", "LRU kernel", "LRU model", "batch kernel", "batch model"], rows).trimEnd(),
        "",
        `threshold: LRU kernel ${d.lru.threshold ?? "?"}, model ${m.lru}; batch kernel ${d.batch.threshold ?? "?"}, model ${m.batch}`,
        ...wrapLine(caption(c)),
      ].join("\n") + "\n"
    );
  },
};

/**
 * io_uring's long-term registration per mapping kind, untouched and touched: the kernel's
 * answer (pinned, or its errno) beside the model's preset (mm/gup.c check_vma_flags ->
 * writable_file_mapping_allowed, 6.5). Needs the longterm part.
 */
export const refusalFigure: CalibrationFigure = {
  name: "calibration-refusal",
  description: "io_uring long-term pins per mapping kind: the kernel's answer and the model's preset",
  missing: (c) => (c.kernel.longterm && c.model.longterm ? null : "the longterm part did not run (--only)"),
  plot(c) {
    const k = c.kernel.longterm!;
    const m = c.model.longterm!;
    const cells = m.registrations.flatMap((r) => {
      const kr = k.registrations.find((x) => x.mapping === r.mapping);
      const kv = kr?.verdict ?? "not measured";
      return [
        { mapping: r.mapping, side: "kernel", verdict: kv, agree: kv === r.verdict },
        { mapping: r.mapping, side: `model (${m.preset})`, verdict: r.verdict, agree: kv === r.verdict },
      ];
    });
    return {
      title: "Long-term writable pins (io_uring fixed buffers): pinned or refused?",
      subtitle: "IORING_REGISTER_BUFFERS = FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM; red outline: kernel and model differ",
      caption: caption(c),
      width: 640,
      height: 260,
      marginLeft: 110,
      x: { label: null, domain: ["kernel", `model (${m.preset})`] },
      y: { label: null, domain: m.registrations.map((r) => r.mapping) },
      color: { legend: true, domain: ["pinned", "refused (EFAULT)"], range: ["#9bd3a0", "#f4a6a6"], unknown: "#ddd" },
      marks: [
        Plot.cell(cells, {
          x: "side",
          y: "mapping",
          fill: "verdict",
          inset: 1,
          stroke: (d: { agree: boolean }) => (d.agree ? "white" : "red"),
          strokeWidth: 2,
        }),
        Plot.text(cells, { x: "side", y: "mapping", text: "verdict" }),
      ],
    };
  },
  text(c) {
    const k = c.kernel.longterm!;
    const m = c.model.longterm!;
    const rows = m.registrations.map((r) => {
      const kr = k.registrations.find((x) => x.mapping === r.mapping);
      const kv = kr?.verdict ?? "not measured";
      return [r.mapping, kv, r.verdict, kv === r.verdict ? "yes" : "NO"];
    });
    return (
      [
        "io_uring REGISTER_BUFFERS (FOLL_WRITE|FOLL_PIN|FOLL_LONGTERM) per",
        `mapping kind, on ${c.machine.filesystem.type}; model: preset ${m.preset}`,
        "",
        textTable(["mapping", "kernel", "model", "agree"], rows).trimEnd(),
        "",
        ...wrapLine(caption(c)),
      ].join("\n") + "\n"
    );
  },
};

/** Every calibration figure, in the order `pinsim plot` writes them. */
export const CALIBRATION_FIGURES: CalibrationFigure[] = [cleanDelayFigure, thresholdFigure, refusalFigure];
/** Their names (`--figure` values). */
export const CALIBRATION_FIGURE_NAMES = CALIBRATION_FIGURES.map((f) => f.name);

/**
 * The calibration figure called `name`.
 *
 * @throws {PlotInputError} `invalid --figure: NAME (a calibration has: …)` for any other name.
 */
export function getCalibrationFigure(name: string): CalibrationFigure {
  const f = CALIBRATION_FIGURES.find((x) => x.name === name);
  if (!f)
    throw new PlotInputError(
      `invalid --figure: ${showValue(name)} (a calibration has: ${CALIBRATION_FIGURE_NAMES.join(", ")})`,
    );
  return f;
}

/** Render one calibration figure as svg, png or txt. */
export function renderCalibrationFigure(c: Calibration, name: string, format: Format): string | Uint8Array {
  const f = getCalibrationFigure(name);
  const why = f.missing(c);
  if (why) throw new PlotInputError(`${name}: ${why}`);
  if (format === "txt") return f.text(c);
  const svg = plotSvg(f.plot(c));
  return format === "svg" ? svg : svgToPng(svg);
}
