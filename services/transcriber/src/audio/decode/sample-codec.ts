import { ALAW_TABLE, MULAW_TABLE } from './g711.js';

export type SampleCodec = 'pcm_u8' | 'pcm_s16le' | 'pcm_s24le' | 'pcm_s32le' | 'f32le' | 'f64le' | 'mulaw' | 'alaw';

export const BYTES_PER_SAMPLE: Record<SampleCodec, number> = {
  pcm_u8: 1,
  pcm_s16le: 2,
  pcm_s24le: 3,
  pcm_s32le: 4,
  f32le: 4,
  f64le: 8,
  mulaw: 1,
  alaw: 1,
};

/** Deinterleaves whole frames of `bytes` into one Float32Array per channel, in [-1, 1]. */
export function decodeFrames(bytes: Buffer, codec: SampleCodec, channels: number): Float32Array[] {
  const width = BYTES_PER_SAMPLE[codec];
  const frames = Math.floor(bytes.length / (width * channels));
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const read = sampleReader(bytes, codec);
  for (let c = 0; c < channels; c++) {
    const dst = out[c] as Float32Array;
    let offset = c * width;
    const stride = width * channels;
    for (let i = 0; i < frames; i++, offset += stride) dst[i] = read(offset);
  }
  return out;
}

function sampleReader(b: Buffer, codec: SampleCodec): (offset: number) => number {
  switch (codec) {
    case 'pcm_u8':
      return (o) => ((b[o] as number) - 128) / 128;
    case 'pcm_s16le':
      return (o) => b.readInt16LE(o) / 32768;
    case 'pcm_s24le':
      return (o) => b.readIntLE(o, 3) / 8388608;
    case 'pcm_s32le':
      return (o) => b.readInt32LE(o) / 2147483648;
    case 'f32le':
      return (o) => b.readFloatLE(o);
    case 'f64le':
      return (o) => b.readDoubleLE(o);
    case 'mulaw':
      return (o) => MULAW_TABLE[b[o] as number] as number;
    case 'alaw':
      return (o) => ALAW_TABLE[b[o] as number] as number;
  }
}
