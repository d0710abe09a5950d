/**
 * The one parser for numbers a user types: command-line flags (`--seed`, `--workers`,
 * `--max-states`, a parameter flag such as `--pin-duration 60`) and the fields of a
 * distribution string (`exp:MEAN`, `hist:V=W,…`). An integer flag (parseIntegerFlag) takes
 * decimal digits alone; any other number is decimal, spelled as a JSON number:
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

/** What an integer flag takes: decimal digits only (`8`, `02`; not `1e3`, `+2`, `0x2`, ` 2`). */
const DIGITS = /^[0-9]+$/;

/**
 * An integer flag in `min..max` (`min` >= 0), spelled in decimal digits alone: no sign,
 * exponent, fraction, hex or whitespace, so that a text the message calls "a decimal
 * integer" is the only kind taken.
 * @throws InputError `invalid FLAG: "TEXT" (allowed: a decimal integer in MIN..MAX)`.
 */
export function parseIntegerFlag(
  flag: string,
  text: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const n = DIGITS.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(flag, text, `a decimal integer in ${min}..${max}`);
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
