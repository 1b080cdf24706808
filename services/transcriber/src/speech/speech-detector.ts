import { AsyncQueue } from '#common/async-queue.js';
import type { SampleBuffer } from '../audio/sample-buffer.js';
import { SpeechRegionTracker, type SpeechRegion, type SpeechRegionOptions } from './speech-regions.js';
import { VAD_WINDOW } from './vad-model.js';
import type { VadScheduler, VadStream } from './vad-scheduler.js';

/**
 * What speech detection reports, in order: each region once it has surely ended, and how far the
 * audio is settled (no region not yet reported can start before `sample`).
 */
export type SpeechEvent = { kind: 'region'; region: SpeechRegion } | { kind: 'settled'; sample: number };

/**
 * One track's speech detection, shared by transcription and diarization: 16 kHz samples in (push),
 * speech events out (async iteration). Silero runs in the shared VadScheduler's batches; the audio
 * stays readable until the consumer releases it.
 */
export class SpeechDetector implements AsyncIterable<SpeechEvent> {
  private readonly stream: VadStream;
  private readonly tracker: SpeechRegionTracker;
  private readonly events = new AsyncQueue<SpeechEvent>((last, next) =>
    last.kind === 'settled' && next.kind === 'settled' ? next : undefined,
  );
  /** Woken when audio is released (or detection ends): the reader may have room again. */
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly vad: VadScheduler,
    options: SpeechRegionOptions,
  ) {
    this.tracker = new SpeechRegionTracker(options, (region) => this.events.push({ kind: 'region', region }));
    this.stream = vad.openStream({
      onProbs: (first, probs) => {
        this.tracker.push(first, probs);
        this.events.push({ kind: 'settled', sample: this.tracker.openStart ?? this.stream.emitted * VAD_WINDOW });
      },
      onDone: () => {
        this.tracker.end(this.stream.audio.length);
        this.events.close();
        this.wakeRoom();
      },
      onError: (err) => {
        this.events.fail(err);
        this.wakeRoom();
      },
    });
  }

  push(samples: Float32Array): void {
    this.stream.push(samples);
  }

  end(): void {
    this.stream.end();
  }

  /** Stops detection early (the request failed or was cancelled); iteration throws `reason`. */
  abort(reason: unknown): void {
    this.vad.drop(this.stream);
    this.events.fail(reason);
    this.aborted = true;
    this.wakeRoom();
  }

  private aborted = false;

  private wakeRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once fewer than `limit` samples are held, so the reader stops taking audio from the
   * client (and HTTP/2 flow control holds the client back) instead of buffering it here.
   */
  async waitForRoom(limit: number): Promise<void> {
    while (!this.aborted && this.stream.audio.retained >= limit)
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** The consumer is done with audio before `sample`; it is forgotten once the VAD is too. */
  release(sample: number): void {
    this.stream.audio.discardBefore(Math.min(sample, this.vad.lowWatermark(this.stream)));
    this.wakeRoom();
  }

  /** Every sample pushed so far, by absolute index (what is released may be gone). */
  get audio(): SampleBuffer {
    return this.stream.audio;
  }

  /** Wall-clock ms of VAD inference attributed to this track. */
  get busyMs(): number {
    return this.stream.busyMs;
  }

  [Symbol.asyncIterator](): AsyncIterator<SpeechEvent> {
    return this.events[Symbol.asyncIterator]();
  }
}
