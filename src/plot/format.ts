/**
 * Number formatting shared by the SVG captions, the text charts and the report, so the
 * same value reads the same everywhere.
 */

/** A count or a mean in at most 3 significant digits, with k/M suffixes; null → "–". */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6) return trim((v / 1e6).toPrecision(3)) + "M";
  if (a >= 1e4) return trim((v / 1e3).toPrecision(3)) + "k";
  if (a >= 100) return String(Math.round(v));
  if (a >= 0.01) return trim(v.toPrecision(3));
  return v.toExponential(1);
}

/** A proportion as a percentage with enough digits to tell 0.02 % from 0. */
export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0 %";
  const p = v * 100;
  if (Math.abs(p) >= 10) return `${trim(p.toFixed(1))} %`;
  if (Math.abs(p) >= 0.1) return `${trim(p.toFixed(2))} %`;
  return `${trim(p.toPrecision(2))} %`;
}

/** "value [lo, hi]" with one formatter for all three. */
export function formatInterval(
  v: number | null,
  lo: number | null,
  hi: number | null,
  f: (x: number | null) => string = formatNumber,
): string {
  if (v === null) return "–";
  if (lo === null || hi === null) return f(v);
  return `${f(v)} [${f(lo)}, ${f(hi)}]`;
}

function trim(s: string): string {
  return s.includes(".") && !s.includes("e") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * A share in percent with its interval, compact for tables: "12 % [5–25]", "0 % [0–0.98]".
 * Interval ends below 1e-9 % print as 0 (a Wilson bound of 0 successes is 0 up to rounding).
 */
export function formatShare(v: number | null | undefined, lo?: number | null, hi?: number | null): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const p = (x: number) => {
    const y = x * 100;
    return y < 1e-9 ? "0" : y >= 10 ? y.toFixed(0) : y >= 1 ? y.toFixed(1) : y >= 0.1 ? y.toFixed(2) : y.toPrecision(1);
  };
  return lo === null || lo === undefined || hi === null || hi === undefined
    ? `${p(v)} %`
    : `${p(v)} % [${p(lo)}–${p(hi)}]`;
}
