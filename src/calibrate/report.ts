/**
 * The calibration as text for a terminal or a mail (<= 72 columns): the machine, then
 * the comparison table, one block per quantity with the kernel's and the model's side.
 */
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
const verdict = (a: boolean | null) => (a === true ? "agree" : a === false ? "DIFFER" : "n/a");

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

/** The comparison table as text blocks. */
export function comparisonText(c: Calibration): string {
  const out: string[] = [...calibrationHeader(c), ""];
  const n = c.comparison.length;
  const agree = c.comparison.filter((r) => r.agree === true).length;
  const differ = c.comparison.filter((r) => r.agree === false).length;
  out.push(`${n} quantities: ${agree} agree, ${differ} differ, ${n - agree - differ} not measured here`);
  let part = "";
  c.comparison.forEach((r, i) => {
    if (r.part !== part) {
      part = r.part;
      out.push("", `== ${part}`);
    }
    out.push(...wrap(`${String(i + 1).padStart(2)}. [${verdict(r.agree)}] ${r.quantity}`, "", "      "));
    out.push(...wrap(`kernel: ${r.kernel}${interval(r.kernelInterval)}`, "    ", "      "));
    out.push(...wrap(`model:  ${r.model}${interval(r.modelInterval)}`, "    ", "      "));
  });
  return out.join("\n") + "\n";
}
