/**
 * Where an MP4/M4A/MOV keeps its index (the `moov` box). ffmpeg can decode from a pipe only when the
 * index comes before the samples (`mdat`), as `-movflags +faststart` writes it; ffmpeg's own default,
 * and most phones and recorders, write it last, and such a file must be read from a seekable file.
 */

// Boxes that may sit between `ftyp` and the first `moov`/`mdat` without deciding anything.
const PADDING = new Set(['free', 'skip', 'wide', 'uuid', 'pdin']);

/**
 * True when the samples come before the index (spool before decoding), false when the index comes
 * first (stream it), undefined while the bytes so far do not tell.
 */
export function mp4IndexAtEnd(head: Buffer): boolean | undefined {
  let at = 0;
  while (at + 8 <= head.length) {
    const size32 = head.readUInt32BE(at);
    const type = head.toString('latin1', at + 4, at + 8);
    if (type === 'moov') return false;
    if (type === 'mdat') return true;
    let size = size32;
    if (size32 === 1) {
      if (at + 16 > head.length) return undefined;
      size = Number(head.readBigUInt64BE(at + 8));
    }
    // A box "to the end of the file" that is neither: nothing more can be learnt from the layout.
    if (size32 === 0) return false;
    if (size < 8) return false;
    if (at > 0 && !PADDING.has(type) && type !== 'ftyp') return false;
    at += size;
  }
  return undefined;
}
