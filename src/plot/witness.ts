/**
 * A checker witness as a message-sequence chart: one lane per actor (and one for the
 * end-of-run sync), the steps in order from top to bottom, each an arrow from its
 * actor's lane to the shared page, the page's state after the step beside it, and the
 * step where the incident first happens marked in red. As Observable Plot options (SVG,
 * PNG, notebooks) and as text of at most 72 columns for mail.
 */
import * as Plot from "@observablehq/plot";
import type { CheckResult, WitnessStep } from "../checker/explore.js";
import { FAILURE_ID, type IncidentName } from "../checker/verdict.js";
import { PAGE_LEGEND, TEXT_WIDTH, wrap } from "../checker/witness.js";
import type { FigureOptions } from "./svg.js";

/** What a witness chart draws. */
export interface WitnessChart {
  /** The scenario's name. */
  scenario: string;
  /** The policy checked. */
  policy: string;
  /** The variant checked. */
  variant: string;
  /** The incident this witness reaches. */
  incident: IncidentName;
  /** Lanes, in scenario order: name and title (`P0 gup slow`). */
  actors: CheckResult["actors"];
  /** The witness's steps, numbered from 1. */
  steps: WitnessStep[];
  /** The alternatives of the scenario's choices this witness took; empty without choices. */
  choices?: string[];
}

const SYNC = "sync";
const PAGE = "page";
const RED = "#b2182b";
const ORANGE = "#d37b00";
const BLUE = "#4a6fa5";

/** The lane a step runs in. */
const laneOf = (s: WitnessStep): string => (s.actor === SYNC ? SYNC : s.actor);

/** Step text with its incident marks: `DMA write !F2,F4`. */
function marked(s: WitnessStep): string {
  return s.incidents.length ? `${s.step} !${s.incidents.map((i) => FAILURE_ID[i]).join(",")}` : s.step;
}

/** One line naming the run and the choices taken. */
function subtitle(w: WitnessChart): string {
  const choices = w.choices?.length ? `; choices: ${w.choices.join(", ")}` : "";
  return `${w.scenario} (${w.variant})${choices}. Red: where ${w.incident} first happens; orange: other incidents (!F…).`;
}

/** Pixels per line of step text, and per unit of the y scale. */
const LINE = 13;
/** Average advance of a 10 px DejaVu Sans glyph. */
const CHAR = 6.1;

/**
 * The chart as Plot options (render with plotSvg, then svgToPng). Width defaults to
 * 120 px per lane plus room for the page state; each step takes one line for its arrow
 * and one per line of its label, wrapped to reach no further than the page's lane.
 */
export function witnessPlot(w: WitnessChart, options: { width?: number } = {}): FigureOptions {
  const lanes = [...w.actors.map((a) => a.name), SYNC];
  const title = new Map([
    ...w.actors.map((a) => [a.name, a.title] as const),
    [SYNC, "end-of-run sync"],
    [PAGE, "the page"],
  ]);
  const width = options.width ?? Math.max(640, 120 * lanes.length + 300);
  const marginLeft = 34,
    marginRight = 170;
  // Point scale with padding 0.3: lane i at (i + 0.3) * step from the left of the frame.
  const spacing = (width - marginLeft - marginRight) / (lanes.length + 0.6);
  const { rows, y } = witnessRows(w, lanes, spacing);
  return {
    title: `${w.incident} (${FAILURE_ID[w.incident]}) under ${w.policy}: ${w.steps.length} steps`,
    subtitle: subtitle(w),
    caption: PAGE_LEGEND,
    width,
    height: 40 + LINE * (y + 1),
    marginLeft,
    marginRight,
    marginTop: 30,
    x: {
      type: "point",
      domain: [...lanes, PAGE],
      axis: "top",
      label: null,
      tickFormat: (d: string) => title.get(d) ?? d,
      padding: 0.3,
    },
    y: { domain: [0, y + 0.5], reverse: true, axis: null },
    marks: witnessMarks(rows, lanes, y),
  };
}

/** One step of the chart: its lane, its wrapped label, the page after it, its line, and whether it made the incident (or another) happen. */
interface WitnessRow {
  n: number;
  lane: string;
  text: string;
  page: string;
  y: number;
  hit: boolean;
  other: boolean;
}

/**
 * The steps as chart rows, each label wrapped to reach no further than the page's lane
 * (`spacing` px between lanes, CHAR px a character); `y` is the last row's line.
 */
function witnessRows(w: WitnessChart, lanes: string[], spacing: number): { rows: WitnessRow[]; y: number } {
  let y = 0;
  const rows = w.steps.map((s) => {
    const lane = laneOf(s);
    const room = (lanes.length - lanes.indexOf(lane)) * spacing - 14;
    const lines = wrap(marked(s), Math.max(12, Math.floor(room / CHAR)));
    y += lines.length + 1;
    return {
      n: s.n,
      lane,
      text: lines.join("\n"),
      page: s.page ?? "",
      y,
      hit: s.incidents.includes(w.incident),
      other: s.incidents.length > 0 && !s.incidents.includes(w.incident),
    };
  });
  return { rows, y };
}

/** Red for the step that made the incident happen, orange for another incident, blue otherwise. */
const colour = (d: { hit: boolean; other: boolean }): string => (d.hit ? RED : d.other ? ORANGE : BLUE);

/** The step labels of `rows`, right of their dot; the incident's own step in bold red. */
function labels(rows: WitnessRow[], hit: boolean) {
  const common = {
    x: "lane",
    y: "y",
    text: "text",
    textAnchor: "start",
    lineAnchor: "bottom",
    dx: 6,
    dy: -3,
    fontSize: 10,
  } as const;
  return Plot.text(
    rows.filter((d) => d.hit === hit),
    hit
      ? { ...common, fill: RED, fontWeight: "bold" }
      : { ...common, fill: (d: { other: boolean }) => (d.other ? ORANGE : "black") },
  );
}

/** The marks: dashed lifelines, an arrow from each step's lane to the page, its dot, label, page state and number. */
function witnessMarks(rows: WitnessRow[], lanes: string[], y: number): Plot.Markish[] {
  return [
    Plot.ruleX([...lanes, PAGE], { x: (d: string) => d, y1: 0, y2: y + 0.5, stroke: "#bbb", strokeDasharray: "3,3" }),
    Plot.arrow(rows, {
      x1: "lane",
      x2: () => PAGE,
      y1: "y",
      y2: "y",
      stroke: colour,
      strokeWidth: 1.2,
      headLength: 6,
    }),
    Plot.dot(rows, { x: "lane", y: "y", r: 3, fill: colour }),
    labels(rows, false),
    labels(rows, true),
    Plot.text(rows, { x: () => PAGE, y: "y", text: "page", textAnchor: "start", dx: 8, fontSize: 10, fill: "#333" }),
    Plot.text(rows, {
      x: () => lanes[0],
      y: "y",
      text: (d: { n: number }) => `${d.n}.`,
      textAnchor: "end",
      dx: -12,
      fill: "#666",
    }),
  ];
}

/**
 * The chart as text, at most 72 columns: a lane column per actor (`*` where the actor
 * steps, `|` its lifeline), the step, and the page after it.
 *
 *     P0 P1 sync  step                                 page
 *  1. *  |  |     faultin_page: page_mkwrite           D--BwM m0/d0
 */
export function witnessText(w: WitnessChart): string {
  const lanes = [...w.actors.map((a) => a.name), SYNC];
  const lw = lanes.map((l) => Math.max(l.length, 1) + 1);
  const laneCols = lw.reduce((a, b) => a + b, 0);
  const num = `${w.steps.length}.`.length + 1;
  const pageW = Math.min(24, Math.max(4, ...w.steps.map((s) => (s.page ?? "").length)));
  let stepW = TEXT_WIDTH - num - laneCols - 1 - pageW - 1;
  const pageOwnLine = stepW < 16;
  if (pageOwnLine) stepW = TEXT_WIDTH - num - laneCols - 1;
  const out: string[] = [];
  const head = `${w.incident} (${FAILURE_ID[w.incident]}) under ${w.policy}: ${w.steps.length} steps`;
  for (const l of wrap(head, TEXT_WIDTH)) out.push(l);
  for (const l of wrap(subtitle(w), TEXT_WIDTH)) out.push(l);
  for (const l of wrap(w.actors.map((a) => a.title).join("; ") + "; sync: end-of-run sync.", TEXT_WIDTH)) out.push(l);
  out.push("");
  const laneRow = (at: number): string => lanes.map((_lane, i) => (i === at ? "*" : "|").padEnd(lw[i])).join("");
  out.push(
    (
      " ".repeat(num) +
      lanes.map((l, i) => l.padEnd(lw[i])).join("") +
      " " +
      "step".padEnd(stepW) +
      (pageOwnLine ? "" : " page")
    ).trimEnd(),
  );
  for (const s of w.steps) {
    const at = lanes.indexOf(laneOf(s));
    const text = wrap(marked(s), stepW);
    text.forEach((t, k) => {
      const prefix = k === 0 ? `${s.n}.`.padEnd(num) + laneRow(at) : " ".repeat(num) + laneRow(-1);
      const page = k === 0 && !pageOwnLine ? " " + (s.page ?? "") : "";
      out.push((prefix + " " + t.padEnd(stepW) + page).trimEnd().slice(0, TEXT_WIDTH));
    });
    if (pageOwnLine && s.page) out.push((" ".repeat(num) + laneRow(-1) + " page " + s.page).slice(0, TEXT_WIDTH));
  }
  out.push("");
  for (const l of wrap(PAGE_LEGEND, TEXT_WIDTH)) out.push(l);
  return out.join("\n") + "\n";
}
