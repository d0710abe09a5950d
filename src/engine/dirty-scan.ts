/**
 * Finding the dirty folios of a file in order (writeback_single_inode's walk over the
 * mapping's dirty tag), four folios a read where the file is whole 32-bit words of PG_dirty.
 * NOTE: for performance: most folios of an expired inode are clean.
 */

/** pc.dirty as 32-bit words (four folios each) when every file of `perFile` folios is whole words, else null. */
export function dirtyWords(dirty: Uint8Array, perFile: number): Uint32Array | null {
  return perFile % 4 === 0 && dirty.byteOffset === 0 ? new Uint32Array(dirty.buffer, 0, dirty.length >> 2) : null;
}

/** The first dirty folio in p..end-1 (PG_dirty read now), or `end`; `words` from dirtyWords or null. */
export function nextDirty(dirty: Uint8Array, words: Uint32Array | null, p: number, end: number): number {
  if (words !== null) {
    for (; p < end && (p & 3) !== 0; p++) if (dirty[p]) return p;
    while (p < end && words[p >> 2] === 0) p += 4;
  }
  for (; p < end; p++) if (dirty[p]) return p;
  return end;
}
