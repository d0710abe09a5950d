/**
 * A live-updating progress display for long computations (sweeps): one display entry in
 * the cell, overwritten in place (update_display_data, as `tslab.newDisplay()` does).
 * Outside a kernel it writes a line to stderr at most every few seconds.
 */
import type { SweepProgress } from "../sweep/run.js";
import { emitBundle, newDisplayId } from "./kernel.js";
import { escapeHtml } from "./mime.js";

/** What a progress callback may receive: sweep()'s progress, `{ done, total, detail }`, or a count done. */
export type ProgressEvent =
  | SweepProgress
  | {
      /** Units finished. */
      done: number;
      /** Units in all (may be given once). */
      total?: number;
      /** Text shown after the bar. */
      detail?: string;
    }
  | number;

/** A live progress line: updated in place in a notebook cell (one display id), lines on stderr elsewhere. */
export interface ProgressDisplay {
  /** Report `done` of `total` (total may be given once). */
  update(done: number, total?: number, detail?: string): void;
  /** Mark finished, with an optional closing line. */
  finish(detail?: string): void;
  /** A callback to pass as `onProgress`: (done, total), {done, total}, or sweep()'s {runsDone, runsTotal}. */
  onProgress: (event: ProgressEvent, total?: number) => void;
}

/** Options of {@link progressDisplay}. */
export interface ProgressOptions {
  /** Shown before the bar. */
  label?: string;
  /** Units in all, if known now; default: from the first event that carries it. */
  total?: number;
  /** Minimum milliseconds between two updates (the last one is always shown). Default 200. */
  intervalMs?: number;
  /** Clock for tests. Default performance.now. */
  now?: () => number;
  /** Where text goes outside a kernel. Default stderr. */
  write?: (line: string) => void;
}

function bar(fraction: number, width = 30): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return "█".repeat(n) + "░".repeat(width - n);
}

/** Start a progress display in the current cell. */
export function progressDisplay(options: ProgressOptions = {}): ProgressDisplay {
  const label = options.label ?? "progress";
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 200;
  const write = options.write ?? ((s: string) => void process.stderr.write(s + "\n"));
  const id = newDisplayId();
  const t0 = now();
  let total = options.total ?? 0;
  let last = -Infinity;
  let lastText = -Infinity;
  let shown = false;
  let finished = false;

  const render = (done: number, detail: string | undefined, final: boolean) => {
    const secs = (now() - t0) / 1000;
    const frac = total > 0 ? done / total : 0;
    const eta = done > 0 && total > done ? ` · ~${Math.ceil((secs / done) * (total - done))} s left` : "";
    const text = `${label}: ${done}${total ? `/${total}` : ""} ${total ? bar(frac) : ""} ${secs.toFixed(1)} s${final ? "" : eta}${detail ? ` · ${detail}` : ""}`;
    const pct = total ? Math.round(frac * 100) : 0;
    const html =
      `<div style="font-family:monospace"><b>${escapeHtml(label)}</b> ` +
      (total ? `<progress value="${done}" max="${total}" style="width:20em"></progress> ${pct}% ` : "") +
      `${done}${total ? `/${total}` : ""} · ${secs.toFixed(1)} s${final ? "" : escapeHtml(eta)}${detail ? ` · ${escapeHtml(detail)}` : ""}</div>`;
    const sent = emitBundle({ "text/html": html, "text/plain": text }, { displayId: id, update: shown });
    if (sent) shown = true;
    else if (final || now() - lastText >= 2000) {
      lastText = now();
      write(text);
    }
  };

  // `more`: work left beyond the counted units (a sweep's last point is recorded after its last run).
  const update = (done: number, t?: number, detail?: string, more = false) => {
    if (finished) return;
    if (t !== undefined) total = t;
    const complete = total > 0 && done >= total && !more;
    if (!complete && now() - last < interval) return;
    last = now();
    render(done, detail, complete);
    if (complete) finished = true;
  };

  return {
    update,
    finish(detail?: string) {
      if (finished) return;
      finished = true;
      render(total, detail ?? "done", true);
    },
    onProgress(event: ProgressEvent, t?: number) {
      if (typeof event === "number") return update(event, t);
      if ("runsDone" in event) {
        const detail =
          `${event.pointsDone}/${event.pointsTotal} points` +
          (event.pointsResumed ? `, ${event.pointsResumed} resumed` : "");
        // The last run ends before its point is recorded: finish only when both are N/N.
        return update(event.runsDone, event.runsTotal, detail, event.pointsDone < event.pointsTotal);
      }
      update(event.done, event.total, event.detail);
    },
  };
}
