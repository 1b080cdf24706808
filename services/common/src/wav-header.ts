/** The fmt chunk's fields as written, the codec tag read through WAVE_FORMAT_EXTENSIBLE. */
export interface WavFmt {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  /** The header's own average bytes per second (exact for PCM, the writer's figure for compressed codecs). */
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

export type WavHeader =
  /** More bytes needed: the data chunk has not started yet. */
  | { kind: 'incomplete' }
  /** Not a RIFF/WAVE header we can read; `reason` names the offending field or bytes. */
  | { kind: 'invalid'; reason: string }
  | {
      kind: 'complete';
      fmt: WavFmt;
      /** Where the audio starts. */
      dataOffset: number;
      /** Bytes of audio the header declares; undefined when the writer left it open (0 or 0xFFFFFFFF). */
      dataBytes: number | undefined;
    };

// A header past this size is not a header: protects against a client streaming junk chunks forever.
const MAX_HEADER_BYTES = 1 << 20;

/**
 * Reads a RIFF/WAVE header from the bytes received so far, up to the start of the data chunk; what
 * the codec means is the caller's business (the transcriber's decoder, the loadgen's duration).
 * Never throws: a stream parser waits on 'incomplete', a client-facing one turns 'invalid' into an error.
 */
export function readWavHeader(buf: Buffer): WavHeader {
  if (buf.length < 12) return { kind: 'incomplete' };
  if (buf.toString('latin1', 0, 4) === 'RIFX')
    return invalid('big-endian WAV (RIFX) is not supported; convert to little-endian RIFF WAV');
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE')
    return invalid('not a WAV file: expected "RIFF....WAVE" in the first 12 bytes');
  let offset = 12;
  let fmt: WavFmt | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'data') {
      if (fmt === undefined) return invalid(`WAV data chunk at byte ${offset} comes before the fmt chunk`);
      const open = size === 0 || size === 0xffffffff;
      return { kind: 'complete', fmt, dataOffset: body, dataBytes: open ? undefined : size };
    }
    if (body + size > buf.length) break;
    if (id === 'fmt ') {
      if (size < 16) return invalid(`WAV fmt chunk is ${size} bytes; at least 16 are required`);
      const tag = buf.readUInt16LE(body);
      fmt = {
        // WAVE_FORMAT_EXTENSIBLE: the real codec is the first two bytes of the SubFormat GUID.
        formatTag: tag === 0xfffe && size >= 40 ? buf.readUInt16LE(body + 24) : tag,
        channels: buf.readUInt16LE(body + 2),
        sampleRateHz: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        blockAlign: buf.readUInt16LE(body + 12),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    }
    offset = body + size + (size % 2);
  }
  if (buf.length > MAX_HEADER_BYTES) return invalid(`no WAV data chunk in the first ${MAX_HEADER_BYTES} bytes`);
  return { kind: 'incomplete' };
}

const invalid = (reason: string): WavHeader => ({ kind: 'invalid', reason });
