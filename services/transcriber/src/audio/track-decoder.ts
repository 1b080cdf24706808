import type { AudioFormat } from '#gen/callscribe/v1/audio.js';
import { AudioDecoder, type DecoderOptions, type SourceInfo } from './decode/audio-decoder.js';
import { createResampler, type Resampler } from './resampler.js';

/** mix: one track, the channels averaged. channels: one track per channel, when they differ. */
export type TrackLayout = 'mix' | 'channels';

/** What the decode stage yields: once the layout is known, then each track's 16 kHz samples. */
export type TrackAudio =
  | { kind: 'layout'; tracks: number; source: SourceInfo }
  | { kind: 'samples'; track: number; samples: Float32Array };

export type TrackDecoderOptions = DecoderOptions;

// Channels are compared on the first half second of sound (not of silence: a ring is identical on
// both sides of any call) before the layout is fixed; identical channels are a mono file.
const DECIDE_ACTIVE_SEC = 0.5;
const ACTIVE_LEVEL = 1e-3;
const IDENTICAL_TOLERANCE = 1e-4;

// Each message is decoded and resampled in pieces of this many bytes, so what a request holds in
// flight does not grow with the size of one message: a byte of 1 kHz mu-law becomes 64 bytes of
// 16 kHz floats, so a 16 MiB message decoded whole took the transcriber to 2.3 GB (measured), while
// a 16 KiB piece is at most 1 MiB. Between pieces the consumer's backpressure (detectTracks) holds.
const DECODE_PIECE_BYTES = 16 * 1024;

function downmix(planar: Float32Array[]): Float32Array {
  if (planar.length === 1) return planar[0] as Float32Array;
  const n = planar[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const ch of planar) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (ch[i] as number);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / planar.length;
  return out;
}

/** Watches the first sound of a multi-channel file to tell real stereo from mono copied twice. */
class ChannelComparison {
  private activeFrames = 0;
  differs = false;

  observe(planar: Float32Array[]): void {
    const first = planar[0] as Float32Array;
    for (let i = 0; i < first.length; i++) {
      let active = false;
      for (const ch of planar) {
        const v = ch[i] as number;
        if (Math.abs(v) > ACTIVE_LEVEL) active = true;
        if (Math.abs(v - (first[i] as number)) > IDENTICAL_TOLERANCE) this.differs = true;
      }
      if (active) this.activeFrames++;
    }
  }

  decided(sampleRateHz: number): boolean {
    return this.differs || this.activeFrames >= DECIDE_ACTIVE_SEC * sampleRateHz;
  }
}

/**
 * Stage 1 of the data path: request bytes → decoded PCM → tracks at 16 kHz. The layout (how many
 * tracks) is fixed as soon as it can be told, then samples flow as bytes arrive. `decodeMs` and
 * `source` are read after the stage ends.
 */
export class TrackDecoder {
  decodeMs = 0;
  source: SourceInfo | undefined;
  private readonly pending: Float32Array[][] = [];
  private readonly comparison = new ChannelComparison();
  private resamplers: Resampler[] | undefined;

  constructor(
    private readonly format: AudioFormat | undefined,
    private readonly options: TrackDecoderOptions,
    private readonly layout: TrackLayout,
  ) {}

  readonly decode = (bytes: AsyncIterable<Buffer>): AsyncIterable<TrackAudio> => this.run(bytes);

  private async *run(bytes: AsyncIterable<Buffer>): AsyncGenerator<TrackAudio> {
    const decoder = new AudioDecoder(this.format, this.options, (planar, info) => {
      this.source = info;
      this.pending.push(planar);
      if (this.layout === 'channels' && planar.length > 1 && this.resamplers === undefined)
        this.comparison.observe(planar);
    });
    try {
      for await (const message of bytes) {
        for (let at = 0; at < message.length; at += DECODE_PIECE_BYTES) {
          const t = performance.now();
          await decoder.write(message.subarray(at, at + DECODE_PIECE_BYTES));
          this.decodeMs += performance.now() - t;
          yield* await this.drain(false);
        }
      }
      // A container that needed seeking was held on disk; it is decoded now, block by block.
      for await (const _ of decoder.decodeSpooled()) yield* await this.drain(false);
      const t = performance.now();
      this.source = await decoder.end();
      this.decodeMs += performance.now() - t;
      yield* await this.drain(true);
      for (const [c, r] of (this.resamplers ?? []).entries()) yield { kind: 'samples', track: c, samples: r.flush() };
    } finally {
      decoder.dispose();
      for (const r of this.resamplers ?? []) r.dispose();
    }
  }

  /** The layout once it is decided (`final` forces it), then every block decoded so far. */
  private async drain(final: boolean): Promise<TrackAudio[]> {
    const out: TrackAudio[] = [];
    const source = this.source;
    if (this.resamplers === undefined) {
      if (source === undefined) return out;
      const multi = this.layout === 'channels' && source.channels > 1;
      if (multi && !final && !this.comparison.decided(source.sampleRateHz)) return out;
      const tracks = multi && this.comparison.differs ? source.channels : 1;
      this.resamplers = await Promise.all(Array.from({ length: tracks }, () => createResampler(source.sampleRateHz)));
      out.push({ kind: 'layout', tracks, source });
    }
    const resamplers = this.resamplers;
    const t = performance.now();
    for (const planar of this.pending.splice(0)) {
      if (resamplers.length === 1)
        out.push({ kind: 'samples', track: 0, samples: (resamplers[0] as Resampler).push(downmix(planar)) });
      else
        for (const [c, r] of resamplers.entries())
          out.push({ kind: 'samples', track: c, samples: r.push(planar[c] as Float32Array) });
    }
    this.decodeMs += performance.now() - t;
    return out;
  }
}
