import type { AudioFormat } from '../../../gen/callscribe/v1/audio.js';
import { AudioDecoder, type SourceInfo } from './decode/audio-decoder.js';
import { createResampler, type Resampler } from './resampler.js';

/** mix: one track, the channels averaged. channels: one track per channel, when they differ. */
export type TrackLayout = 'mix' | 'channels';

export interface TrackSink {
  push(samples16k: Float32Array): void;
}

export interface IntakeOptions {
  ffmpegPath: string | undefined;
  maxAudioBytes: number;
}

// Channels are compared on the first half second of sound (not of silence: a ring is identical on
// both sides of any call) before the layout is fixed; identical channels are a mono file.
const DECIDE_ACTIVE_SEC = 0.5;
const ACTIVE_LEVEL = 1e-3;
const IDENTICAL_TOLERANCE = 1e-4;

function downmix(planar: Float32Array[]): Float32Array {
  if (planar.length === 1) return planar[0] as Float32Array;
  const n = planar[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const ch of planar) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (ch[i] as number);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / planar.length;
  return out;
}

/**
 * Decode → layout decision → resample to 16 kHz, per track, as bytes arrive. `openTracks` is called
 * once, when the layout is known, and returns where each track's samples go.
 */
export class AudioIntake {
  private readonly decoder: AudioDecoder;
  private pending: Float32Array[][] = [];
  private sinks: TrackSink[] | undefined;
  private resamplers: Resampler[] = [];
  private source: SourceInfo | undefined;
  private activeFrames = 0;
  private differs = false;
  decodeMs = 0;
  identicalChannels = false;

  constructor(
    format: AudioFormat | undefined,
    options: IntakeOptions,
    private readonly layout: TrackLayout,
    private readonly openTracks: (tracks: number, info: SourceInfo) => TrackSink[],
  ) {
    this.decoder = new AudioDecoder(format, options, (planar, info) => {
      this.source = info;
      this.pending.push(planar);
      if (this.layout === 'channels' && this.sinks === undefined && planar.length > 1) this.observe(planar);
    });
  }

  private observe(planar: Float32Array[]): void {
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

  private decided(final: boolean): boolean {
    const info = this.source;
    if (info === undefined) return false;
    if (this.layout === 'mix' || info.channels === 1) return true;
    return final || this.differs || this.activeFrames >= DECIDE_ACTIVE_SEC * info.sampleRateHz;
  }

  private async drain(final: boolean): Promise<void> {
    if (this.sinks === undefined) {
      if (!this.decided(final) || this.source === undefined) return;
      const perChannel = this.layout === 'channels' && this.source.channels > 1 && this.differs;
      this.identicalChannels = this.layout === 'channels' && this.source.channels > 1 && !this.differs;
      const tracks = perChannel ? this.source.channels : 1;
      this.sinks = this.openTracks(tracks, this.source);
      this.resamplers = await Promise.all(Array.from({ length: tracks }, () => createResampler((this.source as SourceInfo).sampleRateHz)));
    }
    const t = performance.now();
    const sinks = this.sinks;
    for (const planar of this.pending.splice(0)) {
      if (sinks.length === 1) (sinks[0] as TrackSink).push((this.resamplers[0] as Resampler).push(downmix(planar)));
      else sinks.forEach((sink, c) => sink.push((this.resamplers[c] as Resampler).push(planar[c] as Float32Array)));
    }
    this.decodeMs += performance.now() - t;
  }

  async write(bytes: Buffer): Promise<void> {
    const t = performance.now();
    await this.decoder.write(bytes);
    this.decodeMs += performance.now() - t;
    await this.drain(false);
  }

  /** Flushes everything; resolves with the source description and the number of tracks. */
  async end(): Promise<{ info: SourceInfo; tracks: number }> {
    const info = await this.decoder.end();
    await this.drain(true);
    const sinks = this.sinks ?? [];
    sinks.forEach((sink, c) => sink.push((this.resamplers[c] as Resampler).flush()));
    return { info, tracks: sinks.length };
  }

  dispose(): void {
    this.decoder.dispose();
    for (const r of this.resamplers) r.dispose();
  }
}
