/**
 * Plots and reports: figures of a sweep's results (src/sweep/types.ts) as Observable Plot
 * options, rendered to SVG (jsdom), PNG (resvg, bundled DejaVu Sans) or text (a character grid)
 * for mail, and the plain-text report of `pinsim report`.
 */

// Figures: ResultsTable (+ options) → Plot options or text.
export { FIGURES, FIGURE_NAMES, FORMATS, getFigure, availableFigures, renderFigure, type Format } from "./figures.js";
export type { Figure, FigureOpts } from "./figure.js";
export { falsePositivesFigure, predictedThreshold, type FalsePositivesOpts } from "./false-positives.js";
export { doubleWritebacksFigure } from "./double-writebacks.js";
export { lostDataFigure } from "./lost-data.js";
export { lostDataHeatmapFigure } from "./lost-data-heatmap.js";
export { kernelErasFigure } from "./kernel-eras.js";
export {
  pageTimelineFigure,
  tracePage,
  timelineFromResults,
  pageTimelinePlot,
  pageTimelineText,
  type PageTimeline,
  type TraceOptions,
} from "./page-timeline.js";
export { endOfRun, pinCalls } from "./page-events.js";

// Figures of one run or a few runs (not of a results table).
export { cleanDelayPlot, cleanDelayText, type CleanDelaysLike, type CleanDelayStatsLike } from "./clean-delay.js";
export { firstCrashPlot, firstCrashText, survivalSteps, type CrashTimes } from "./first-crash.js";
export { pinnerGroupsPlot, pinnerGroupsText, groupBars, type PinnerGroupCounts } from "./pinner-groups.js";

// Renderers.
export { plotSvg, UnsupportedPlotOption, type FigureOptions } from "./svg.js";
export { svgToPng, fontFiles, type PngOptions } from "./png.js";
export { textChart, SERIES_LINES, SERIES_MARKERS, type TextChartOptions, type TextSeries } from "./text-chart.js";
export { textTable, matrixTable, type TextColumn } from "./text-table.js";
export { formatNumber, formatPercent, formatInterval, formatShare } from "./format.js";

// Reading results for figures; the report.
export { PlotInputError, missingFor, provenance, type FigureNeeds } from "./table.js";
export { report, checkResults } from "./report.js";

// Checker witnesses as message-sequence charts.
export { witnessPlot, witnessText, type WitnessChart } from "./witness.js";
