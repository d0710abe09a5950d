/**
 * The checker's step labels: every step returns the index of its label (the kernel
 * function it stands for, and what it found), so no string is built per step; witnesses
 * turn the index back into text.
 */

/** Every step label; a step returns an index into it. */
export const LABELS: string[] = [];

/** Add a step label to LABELS (at module load); returns its index. */
export const defineLabel = (text: string): number => LABELS.push(text) - 1;

const LABEL_INDEX = new Map<string, number>();

/** The index of a label built from data (a caller's refusal), added on first use. */
export function labelOf(text: string): number {
  let k = LABEL_INDEX.get(text) ?? LABELS.indexOf(text);
  if (k < 0) k = defineLabel(text);
  LABEL_INDEX.set(text, k);
  return k;
}
