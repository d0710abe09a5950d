/**
 * The one parser for numbers a user types: command-line flags (`--seed`, `--workers`,
 * `--max-states`, a parameter flag such as `--pin-duration 60`) and the fields of a
 * distribution string (`exp:MEAN`, `hist:V=W,…`). Decimal only, spelled as a JSON number:
 * an optional minus, digits without a leading zero, an optional fraction and exponent
 * (`60`, `-7`, `0.25`, `1e3`, `2.5E-3`); surrounding whitespace is ignored. Hex (`0x10`),
 * binary (`0b101`), octal (`0o7`), `Infinity`, `1_000`, `.5`, `5.` and an empty or blank
 * text are not numbers here, although JavaScript's `Number()` reads most of them.
 * Errors echo the text as the user typed it, never `NaN`.
 */
import { InputError } from "./errors.js";

/** A JSON number (RFC 8259 §6). */
const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

/** The finite number a decimal text spells (surrounding whitespace ignored), or null. */
export function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * An integer flag in `min..max` (a decimal text such as `8` or `1e3`).
 * @throws InputError `invalid FLAG: "TEXT" (allowed: an integer in MIN..MAX)`.
 */
export function parseIntegerFlag(
  flag: string,
  text: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const n = parseDecimal(text);
  if (n === null || !Number.isInteger(n) || n < min || n > max) {
    const allowed =
      max === Number.MAX_SAFE_INTEGER ? `a decimal integer >= ${min}` : `a decimal integer in ${min}..${max}`;
    throw new InputError(flag, text, allowed);
  }
  return n;
}

/**
 * A positive number flag (seconds, say).
 * @throws InputError `invalid FLAG: "TEXT" (allowed: ALLOWED)`.
 */
export function parsePositiveFlag(flag: string, text: string, allowed: string): number {
  const n = parseDecimal(text);
  if (n === null || n <= 0) throw new InputError(flag, text, allowed);
  return n;
}
