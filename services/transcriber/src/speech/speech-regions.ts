import { VAD_WINDOW } from './vad-model.js';

export interface SpeechRegionOptions {
  threshold: number;
  /** Speech ends only below this, so a dip of one window does not split a word. */
  negThreshold: number;
  minSpeechMs: number;
  minSilenceMs: number;
  /**
   * Longest region before it is cut (Silero's max_speech_duration_s): without it, an hour of noise
   * the VAD takes for speech would hold an hour of audio until the region ends. 0 = no limit.
   */
  maxSpeechMs: number;
}

// Silero's own defaults except a longer minimum silence: 300 ms keeps a sentence's pauses inside one
// region, which matters more to ASR than tight boundaries.
export const DEFAULT_REGION_OPTIONS: SpeechRegionOptions = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechMs: 250,
  minSilenceMs: 300,
  maxSpeechMs: 0,
};

export interface SpeechRegion {
  /** Sample indices at 16 kHz, end exclusive. */
  start: number;
  end: number;
}

/**
 * Turns window probabilities into speech regions as they stream in (the logic of Silero's
 * get_speech_timestamps, made incremental): a region is reported once the silence after it is long
 * enough to be sure it ended.
 */
export class SpeechRegionTracker {
  private triggered = false;
  private start = 0;
  private tempEnd = 0;
  private readonly minSpeech: number;
  private readonly minSilence: number;
  private readonly maxSpeech: number;

  constructor(
    private readonly options: SpeechRegionOptions,
    private readonly onRegion: (r: SpeechRegion) => void,
  ) {
    this.minSpeech = (options.minSpeechMs * 16000) / 1000;
    this.minSilence = (options.minSilenceMs * 16000) / 1000;
    this.maxSpeech = options.maxSpeechMs > 0 ? (options.maxSpeechMs * 16000) / 1000 : Infinity;
  }

  push(firstWindow: number, probs: Float32Array): void {
    const { threshold, negThreshold } = this.options;
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i] as number;
      const at = (firstWindow + i) * VAD_WINDOW;
      if (p >= threshold && this.tempEnd !== 0) this.tempEnd = 0;
      if (p >= threshold && !this.triggered) {
        this.triggered = true;
        this.start = at;
        continue;
      }
      if (this.triggered && this.tempEnd === 0 && at - this.start >= this.maxSpeech) {
        // Cut here and go on with a new region: speech does not stop, but its audio can be released.
        this.onRegion({ start: this.start, end: at });
        this.start = at;
      }
      if (p < negThreshold && this.triggered) {
        if (this.tempEnd === 0) this.tempEnd = at;
        if (at - this.tempEnd < this.minSilence) continue;
        if (this.tempEnd - this.start >= this.minSpeech) this.onRegion({ start: this.start, end: this.tempEnd });
        this.triggered = false;
        this.tempEnd = 0;
      }
    }
  }

  /** Start sample of a region still open (speech not yet followed by enough silence). */
  get openStart(): number | undefined {
    return this.triggered ? this.start : undefined;
  }

  end(totalSamples: number): void {
    if (this.triggered && totalSamples - this.start >= this.minSpeech)
      this.onRegion({ start: this.start, end: totalSamples });
    this.triggered = false;
  }
}
