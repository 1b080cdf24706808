import { invalidArgument } from '#common/service-error.js';
import { PcmReader } from './pcm-reader.js';
import { wavDecoding, type WavFormat } from './wav-format.js';

export type WavPush =
  | { kind: 'audio'; planar: Float32Array[] }
  | { kind: 'pending' }
  | { kind: 'foreign'; codecName: string; buffered: Buffer };

/** Streams a WAV file: header first (accumulated until complete), then frames as they arrive. */
export class WavStream {
  private headerBytes: Buffer[] = [];
  private headerLength = 0;
  private reader: PcmReader | undefined;
  private dataSeen = 0;
  format: WavFormat | undefined;

  push(bytes: Buffer): WavPush {
    if (this.reader === undefined) {
      this.headerBytes.push(bytes);
      this.headerLength += bytes.length;
      const buffered = Buffer.concat(this.headerBytes, this.headerLength);
      this.headerBytes = [buffered];
      const header = wavDecoding(buffered);
      if (header.kind === 'incomplete') return { kind: 'pending' };
      if (header.kind === 'foreign') return { kind: 'foreign', codecName: header.codecName, buffered };
      this.format = header.format;
      this.reader = new PcmReader(header.format.codec, header.format.channels);
      this.headerBytes = [];
      return this.pushData(buffered.subarray(header.dataOffset));
    }
    return this.pushData(bytes);
  }

  private pushData(bytes: Buffer): WavPush {
    const reader = this.reader as PcmReader;
    const declared = this.format?.dataBytes;
    // Bytes past the declared data size are trailing chunks (LIST, id3), not audio.
    const take = declared === undefined ? bytes.length : Math.max(0, Math.min(bytes.length, declared - this.dataSeen));
    this.dataSeen += take;
    return { kind: 'audio', planar: reader.push(take === bytes.length ? bytes : bytes.subarray(0, take)) };
  }

  /** Checks that the stream held what its header promised. */
  end(): void {
    if (this.format === undefined) {
      throw invalidArgument(
        `WAV header is incomplete: the stream ended after ${this.headerLength} bytes, before the data chunk`,
      );
    }
    const declared = this.format.dataBytes;
    if (declared !== undefined && this.dataSeen < declared) {
      throw invalidArgument(
        `WAV header declares ${declared} bytes of audio data but the stream ended after ${this.dataSeen}: ` +
          'the file is truncated or its header is wrong',
      );
    }
  }
}
