import { invalidArgument } from '#common/service-error.js';
import { readWavHeader, type WavFmt } from '#common/wav-header.js';
import type { SampleCodec } from './sample-codec.js';

export interface WavFormat {
  codec: SampleCodec;
  channels: number;
  sampleRateHz: number;
  /** Bytes of audio the header declares; undefined when the writer left it open (0 or 0xFFFFFFFF). */
  dataBytes: number | undefined;
}

export type WavDecoding =
  | { kind: 'incomplete' }
  | { kind: 'native'; format: WavFormat; dataOffset: number }
  /** A real WAV codec we do not decode ourselves (GSM, ADPCM, MP3-in-WAV...): ffmpeg may. */
  | { kind: 'foreign'; formatTag: number; codecName: string };

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
 * How to decode a WAV from the bytes received so far: 'incomplete' until the data chunk starts;
 * throws INVALID_ARGUMENT with the offending field when the header is wrong or its codec unsupported.
 */
export function wavDecoding(buf: Buffer): WavDecoding {
  const header = readWavHeader(buf);
  if (header.kind === 'invalid') throw invalidArgument(header.reason);
  if (header.kind === 'incomplete') return header;
  return describe(header.fmt, header.dataBytes, header.dataOffset);
}

function describe(fmt: WavFmt, dataBytes: number | undefined, dataOffset: number): WavDecoding {
  const { formatTag: tag, channels, sampleRateHz: rate, bitsPerSample: bits } = fmt;
  const codec = nativeCodec(tag, bits);
  if (codec === undefined) {
    if (CODEC_NAMES[tag] !== undefined && tag !== 0x0001 && tag !== 0x0003) {
      return { kind: 'foreign', formatTag: tag, codecName: wavCodecName(tag) };
    }
    throw invalidArgument(
      `WAV ${wavCodecName(tag)} with ${bits} bits per sample is not supported; ` +
        'supported: PCM 8/16/24/32-bit, IEEE float 32/64-bit, mu-law, A-law',
    );
  }
  if (channels < 1 || channels > 8) throw invalidArgument(`WAV declares ${channels} channels; 1 to 8 are supported`);
  if (rate < 1000 || rate > 384000)
    throw invalidArgument(`WAV declares a sample rate of ${rate} Hz; 1000 to 384000 are supported`);
  const expectedAlign = (channels * bits) / 8;
  if (fmt.blockAlign !== expectedAlign) {
    throw invalidArgument(
      `WAV block align is ${fmt.blockAlign} but ${channels} channel(s) of ${bits}-bit samples need ${expectedAlign}`,
    );
  }
  return { kind: 'native', format: { codec, channels, sampleRateHz: rate, dataBytes }, dataOffset };
}
