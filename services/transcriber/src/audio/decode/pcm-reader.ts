import { BYTES_PER_SAMPLE, decodeFrames, type SampleCodec } from './sample-codec.js';

/** Turns a byte stream into planar frames, carrying a partial frame over to the next push. */
export class PcmReader {
  private remainder: Buffer = Buffer.alloc(0);
  readonly frameBytes: number;

  constructor(
    private readonly codec: SampleCodec,
    readonly channels: number,
  ) {
    this.frameBytes = BYTES_PER_SAMPLE[codec] * channels;
  }

  push(bytes: Buffer): Float32Array[] {
    const all = this.remainder.length === 0 ? bytes : Buffer.concat([this.remainder, bytes]);
    const whole = all.length - (all.length % this.frameBytes);
    this.remainder = Buffer.from(all.subarray(whole));
    return decodeFrames(all.subarray(0, whole), this.codec, this.channels);
  }
}
