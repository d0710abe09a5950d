/**
 * The matrix figure of several calibration folders, one per kernel (`pinsim plot DIR DIR…`):
 * one row per quantity, one column per kernel, each cell coloured by the verdict (agree,
 * not refuted, differ, not measured, no such row); a cell's tooltip carries the kernel's and
 * the model's values. The text form is matrixText (src/calibrate/lab/matrix.ts), the one
 * `pinsim report DIR DIR…` prints and the README shows.
 */
import * as Plot from "@observablehq/plot";
import { columnTitles, matrixLines, matrixText } from "../calibrate/lab/matrix.js";
import type { ComparisonRow } from "../calibrate/compare.js";
import type { Calibration } from "../calibrate/store.js";
import type { Format } from "./figures.js";
import { svgToPng } from "./png.js";
import { plotSvg, type FigureOptions } from "./svg.js";

/** The figure's name (file name without extension). */
export const CALIBRATION_MATRIX_FIGURE = "calibration-matrix";

const VERDICTS = ["agree", "not refuted", "differ", "not measured here", "no such row"] as const;
const verdict = (r: ComparisonRow | null): (typeof VERDICTS)[number] =>
  r === null
    ? "no such row"
    : r.agree === true
      ? r.power === false
        ? "not refuted"
        : "agree"
      : r.agree === false
        ? "differ"
        : "not measured here";

/** The figure's options: cells (kernel × quantity) in the text form's row order. */
export function calibrationMatrixPlot(cals: Calibration[]): FigureOptions {
  const titles = columnTitles(cals);
  const lines = matrixLines(cals);
  const labels = lines.map((l, i) => `${String(i + 1).padStart(2)} ${l.label}`);
  const cells = lines.flatMap((l, i) =>
    l.cells.map((c, k) => ({
      kernel: titles[k],
      quantity: labels[i],
      verdict: verdict(c),
      tip: c === null ? "no such row" : `kernel: ${c.kernel}\nmodel: ${c.model}`,
    })),
  );
  const counts = cals.map((c, k) => {
    const n = c.comparison.length;
    const a = c.comparison.filter((r) => r.agree === true).length;
    return `${titles[k]} ${a}/${n}`;
  });
  return {
    title: "Each kernel against its preset: quantity × kernel",
    subtitle: `rows that agree (or are not refuted) of all: ${counts.join(", ")}; rows in the order of pinsim report's matrix`,
    caption: cals
      .map(
        (c, k) =>
          `${titles[k]}: ${c.machine.kernelRelease}${c.lab ? ` (${c.lab.accel}, preset ${c.lab.preset?.id ?? "none"})` : " (host)"}`,
      )
      .join("; "),
    width: 200 + 70 * titles.length + 260,
    height: 60 + 14 * lines.length,
    marginLeft: 330,
    x: { label: null, domain: titles, axis: "top" },
    y: { label: null, domain: labels, tickSize: 0 },
    color: {
      legend: true,
      domain: [...VERDICTS],
      range: ["#9bd3a0", "#d7ecc2", "#f4a6a6", "#dddddd", "#f8f8f8"],
    },
    marks: [
      Plot.cell(cells, { x: "kernel", y: "quantity", fill: "verdict", inset: 0.5, stroke: "#ccc", title: "tip" }),
      Plot.text(
        cells.filter((d) => d.verdict === "differ"),
        { x: "kernel", y: "quantity", text: () => "DIF", fontSize: 9 },
      ),
    ],
  };
}

/** Render the matrix of `cals` as svg, png or txt (the text form, <= 72 columns). */
export function renderCalibrationMatrix(cals: Calibration[], format: Format): string | Uint8Array {
  if (format === "txt") return matrixText(cals);
  const svg = plotSvg(calibrationMatrixPlot(cals));
  return format === "svg" ? svg : svgToPng(svg);
}
