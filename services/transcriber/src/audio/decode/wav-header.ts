import { invalidArgument } from '#common/service-error.js';
import type { SampleCodec } from './sample-codec.js';

export interface WavFormat {
  codec: SampleCodec;
  channels: number;
  sampleRateHz: number;
  /** Bytes of audio the header declares; undefined when the writer left it open (0 or 0xFFFFFFFF). */
  dataBytes: number | undefined;
}

export type WavHeader =
  | { kind: 'incomplete' }
  | { kind: 'native'; format: WavFormat; dataOffset: number }
  /** A real WAV codec we do not decode ourselves (GSM, ADPCM, MP3-in-WAV...): ffmpeg may. */
  | { kind: 'foreign'; formatTag: number; codecName: string };

// A header past this size is not a header: protects against a client streaming junk chunks forever.
const MAX_HEADER_BYTES = 1 << 20;

const CODEC_NAMES: Record<number, string> = {
  0x0001: 'PCM',
  0x0002: 'MS ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0055: 'MP3',
  0x0064: 'G.726 ADPCM',
  0x0161: 'WMA',
};

export const wavCodecName = (tag: number): string =>
  CODEC_NAMES[tag] ?? `unknown codec 0x${tag.toString(16).padStart(4, '0')}`;

function nativeCodec(tag: number, bits: number): SampleCodec | undefined {
  if (tag === 0x0001) {
    return ({ 8: 'pcm_u8', 16: 'pcm_s16le', 24: 'pcm_s24le', 32: 'pcm_s32le' } as Record<number, SampleCodec>)[bits];
  }
  if (tag === 0x0003) return ({ 32: 'f32le', 64: 'f64le' } as Record<number, SampleCodec>)[bits];
  if (tag === 0x0006 && bits === 8) return 'alaw';
  if (tag === 0x0007 && bits === 8) return 'mulaw';
  return undefined;
}

/**
 * Parses a RIFF/WAVE header from the bytes received so far. Returns 'incomplete' until the data
 * chunk starts; throws INVALID_ARGUMENT with the offending field when the header is wrong.
 */
export function parseWavHeader(buf: Buffer): WavHeader {
  if (buf.length < 12) return { kind: 'incomplete' };
  if (buf.toString('latin1', 0, 4) === 'RIFX')
    throw invalidArgument('big-endian WAV (RIFX) is not supported; convert to little-endian RIFF WAV');
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw invalidArgument('not a WAV file: expected "RIFF....WAVE" in the first 12 bytes');
  }
  let offset = 12;
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'data') {
      if (fmt === undefined) throw invalidArgument(`WAV data chunk at byte ${offset} comes before the fmt chunk`);
      return describe(fmt, size, body);
    }
    if (body + size > buf.length) break;
    if (id === 'fmt ') {
      if (size < 16) throw invalidArgument(`WAV fmt chunk is ${size} bytes; at least 16 are required`);
      let tag = buf.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE: the real codec is the first two bytes of the SubFormat GUID.
      if (tag === 0xfffe && size >= 40) tag = buf.readUInt16LE(body + 24);
      fmt = {
        tag,
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    }
    offset = body + size + (size % 2);
  }
  if (buf.length > MAX_HEADER_BYTES) throw invalidArgument(`no WAV data chunk in the first ${MAX_HEADER_BYTES} bytes`);
  return { kind: 'incomplete' };
}

function describe(
  fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number },
  dataSize: number,
  dataOffset: number,
): WavHeader {
  const codec = nativeCodec(fmt.tag, fmt.bits);
  if (codec === undefined) {
    if (CODEC_NAMES[fmt.tag] !== undefined && fmt.tag !== 0x0001 && fmt.tag !== 0x0003) {
      return { kind: 'foreign', formatTag: fmt.tag, codecName: wavCodecName(fmt.tag) };
    }
    throw invalidArgument(
      `WAV ${wavCodecName(fmt.tag)} with ${fmt.bits} bits per sample is not supported; ` +
        'supported: PCM 8/16/24/32-bit, IEEE float 32/64-bit, mu-law, A-law',
    );
  }
  if (fmt.channels < 1 || fmt.channels > 8)
    throw invalidArgument(`WAV declares ${fmt.channels} channels; 1 to 8 are supported`);
  if (fmt.rate < 1000 || fmt.rate > 384000)
    throw invalidArgument(`WAV declares a sample rate of ${fmt.rate} Hz; 1000 to 384000 are supported`);
  const expectedAlign = (fmt.channels * fmt.bits) / 8;
  if (fmt.blockAlign !== expectedAlign) {
    throw invalidArgument(
      `WAV block align is ${fmt.blockAlign} but ${fmt.channels} channel(s) of ${fmt.bits}-bit samples need ${expectedAlign}`,
    );
  }
  const open = dataSize === 0 || dataSize === 0xffffffff;
  return {
    kind: 'native',
    format: { codec, channels: fmt.channels, sampleRateHz: fmt.rate, dataBytes: open ? undefined : dataSize },
    dataOffset,
  };
}
