/**
 * The calibration as text for a terminal or a mail (<= 72 columns): the machine, then
 * the comparison table, one block per quantity with the kernel's and the model's side.
 */
import { rowVerdict, verdictCounts } from "./compare.js";
import type { Calibration } from "./store.js";

const WIDTH = 72;

function wrap(text: string, first: string, rest: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  for (const w of words) {
    if (!empty && cur.length + 1 + w.length > WIDTH) {
      lines.push(cur);
      cur = rest + w;
    } else {
      cur += (empty ? "" : " ") + w;
    }
    empty = false;
  }
  lines.push(cur);
  return lines;
}

const interval = (s: string | null) => (s === null ? "" : /^[[(]/.test(s) ? ` ${s}` : ` (${s})`);

/** The header lines: kernel, HZ, filesystem, E and W, probes. */
export function calibrationHeader(c: Calibration): string[] {
  const m = c.machine;
  const fs = m.filesystem;
  const lines = [
    ...wrap(
      `pinsim calibrate (${c.config.mode}, ${c.config.parts.join(", ")}): Linux ${m.kernelRelease} ${m.machine}, HZ ${m.hzUsed} (${m.hzSource}), ${fs.type} on ${fs.mountPoint ?? "?"} (${fs.options ?? "?"})`,
      "",
      "  ",
    ),
    ...loadLine(c),
    ...wrap(
      `E = ${c.expire} s, W = ${c.writebackInterval} s (vm.dirty_expire_centisecs, vm.dirty_writeback_centisecs); sysctls ${c.sysctls.changed.length ? `CHANGED during the run: ${c.sysctls.changed.join(", ")}` : "unchanged during the run"}; THP ${m.thp ?? "?"}; probes ${c.probes.sourceHash.slice(0, 12)}, ${c.probes.compiler}`,
      "",
      "  ",
    ),
  ];
  const lab = c.lab;
  if (lab)
    lines.push(
      ...wrap(
        `guest: --kernel ${lab.spec} (${lab.source}), ${lab.accelNote}; compared with preset ${lab.preset ? `${lab.preset.id} (${lab.preset.exact ? "the release's own" : "the newest preset not after it"})` : "none"}; filesystems ${lab.mounted.map((m) => m.fs).join(", ") || "none"}; guest ${lab.timings.guest.toFixed(0)} s wall, booted in ${lab.timings.guestBoot?.toFixed(1) ?? "?"} s`,
        "",
        "  ",
      ),
      ...lab.notMeasured.flatMap((n) => wrap(`not measured here: ${n.what}: ${n.why}`, "", "  ")),
    );
  return lines;
}

/** "load average 0.52, 0.48, 0.45 (1, 5, 15 min) at the start, 1.02, … after the probes, 2 CPUs"; none when not recorded. */
function loadLine(c: Calibration): string[] {
  const m = c.machine;
  const f = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(", ");
  if (!m.loadAverage && !m.loadAverageEnd) return [];
  const start = m.loadAverage ? `${f(m.loadAverage)} (1, 5, 15 min) at the start` : "";
  const end = m.loadAverageEnd ? `${f(m.loadAverageEnd)} after the probes` : "";
  return wrap(`load average ${[start, end].filter(Boolean).join(", ")}; ${m.cpus} CPUs`, "", "  ");
}

/** The comparison table as text blocks. */
export function comparisonText(c: Calibration): string {
  const out: string[] = [...calibrationHeader(c), ""];
  const n = c.comparison.length;
  const v = verdictCounts(c.comparison);
  const few = v.notRefuted ? `, ${v.notRefuted} not refuted by their few samples` : "";
  out.push(
    ...wrap(
      `${n} quantities: ${v.agree} agree${few}, ${v.differ} differ, ${v.notMeasured} not measured here`,
      "",
      "  ",
    ),
  );
  let part = "";
  c.comparison.forEach((r, i) => {
    if (r.part !== part) {
      part = r.part;
      out.push("", `== ${part}`);
    }
    out.push(...wrap(`${String(i + 1).padStart(2)}. [${rowVerdict(r)}] ${r.quantity}`, "", "      "));
    out.push(...wrap(`kernel: ${r.kernel}${interval(r.kernelInterval)}`, "    ", "      "));
    out.push(...wrap(`model:  ${r.model}${interval(r.modelInterval)}`, "    ", "      "));
    if (r.machine) out.push(...wrap(`machine: ${r.machine.why}`, "    ", "      "));
  });
  return out.join("\n") + "\n";
}
