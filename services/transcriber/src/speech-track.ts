import type { Segment } from '../../../gen/callscribe/v1/transcript.js';
import type { Batcher, ChunkOutcome } from './batcher.js';
import { Chunker, chunkTimeToSource, pieceIndexAt, type SpeechChunk } from './chunker.js';
import { TARGET_RATE_HZ } from './resampler.js';
import { SpeechRegionTracker, type SpeechRegionOptions } from './speech-regions.js';
import { VAD_WINDOW } from './vad-model.js';
import type { VadScheduler, VadStream } from './vad-scheduler.js';
import type { WorkerSegment } from './worker-process.js';

export interface TrackOptions {
  audioChunkSec: number;
  speechPadMs: number;
  regions: SpeechRegionOptions;
}

export interface TrackJob {
  requestId: number;
  language: string;
  signal: AbortSignal;
  /** Speaker name stamped on this track's segments ("" when one track carries every voice). */
  speaker: string;
  channel: number;
}

interface ChunkDone {
  segments: Segment[];
  queueMs: number;
  asrMs: number;
}

/**
 * One track of a request (the mix, or one channel): VAD → speech regions → chunks → batcher, with
 * its finished segments in time order in `ready`. `watermarkSec` is the earliest time a segment not
 * yet ready could start, so several tracks can be merged in time order as they go.
 */
export class SpeechTrack {
  readonly vad: VadStream;
  private readonly regions: SpeechRegionTracker;
  private readonly chunker: Chunker;
  private readonly done: Array<ChunkDone | undefined> = [];
  private readonly chunkStarts: number[] = [];
  private readonly pending: Array<Promise<void>> = [];
  private emitted = 0;
  private vadFinished = false;
  private resolveVad!: () => void;
  readonly vadDone = new Promise<void>((resolve) => (this.resolveVad = resolve));
  readonly ready: Segment[] = [];
  speechSamples = 0;

  constructor(
    scheduler: VadScheduler,
    private readonly batcher: Batcher,
    private readonly options: TrackOptions,
    private readonly job: TrackJob,
    private readonly onProgress: () => void,
    onError: (err: unknown) => void,
  ) {
    this.chunker = new Chunker(Math.round(options.audioChunkSec * TARGET_RATE_HZ), Math.round((options.speechPadMs * TARGET_RATE_HZ) / 1000), (c) => this.submit(c));
    this.regions = new SpeechRegionTracker(options.regions, (r) => this.chunker.addRegion(r, this.vad.audio.length));
    this.vad = scheduler.openStream({
      onProbs: (first, probs) => {
        this.regions.push(first, probs);
        this.vad.audio.discardBefore(Math.min(scheduler.lowWatermark(this.vad), this.chunker.lowWatermark));
        this.onProgress();
      },
      onDone: () => {
        this.regions.end(this.vad.audio.length);
        this.chunker.end();
        this.vadFinished = true;
        this.resolveVad();
        this.onProgress();
      },
      onError,
    });
  }

  private submit(chunk: SpeechChunk): void {
    if (this.job.signal.aborted) return;
    const audio = new Float32Array(chunk.samples);
    let offset = 0;
    for (const piece of chunk.pieces) {
      this.vad.audio.copyInto(audio, offset, piece.start, piece.end);
      offset += piece.end - piece.start;
    }
    this.speechSamples += chunk.samples;
    this.chunkStarts[chunk.index] = (chunk.pieces[0]?.start ?? 0) / TARGET_RATE_HZ;
    // Words are always asked for: they place segment boundaries and, later, speakers.
    const job = this.batcher.submit(this.job.requestId, audio, this.job.language, true, this.job.signal).then((o: ChunkOutcome) => {
      this.done[chunk.index] = { segments: this.toSegments(chunk, o.segments), queueMs: o.queueMs, asrMs: o.asrMs };
      while (this.done[this.emitted] !== undefined) this.ready.push(...(this.done[this.emitted++] as ChunkDone).segments);
      this.onProgress();
    });
    job.catch(() => {});
    this.pending.push(job);
  }

  /** Every chunk's result (or the first failure). */
  async finished(): Promise<ChunkDone[]> {
    await this.vadDone;
    await Promise.all(this.pending);
    return this.done.filter((d): d is ChunkDone => d !== undefined);
  }

  get chunkCount(): number {
    return this.chunker.chunkCount;
  }

  get watermarkSec(): number {
    if (this.vadFinished && this.emitted >= this.chunker.chunkCount) return Infinity;
    const pad = this.options.speechPadMs / 1000;
    const candidates = [this.chunker.lowWatermark / TARGET_RATE_HZ, (this.vad.emitted * VAD_WINDOW) / TARGET_RATE_HZ];
    const open = this.regions.openStart;
    if (open !== undefined) candidates.push(open / TARGET_RATE_HZ);
    const firstPending = this.chunkStarts[this.emitted];
    if (firstPending !== undefined) candidates.push(firstPending);
    return Math.min(...candidates) - pad;
  }

  /**
   * Maps engine segments back to source time. A chunk joins several speech regions, so the pauses
   * an engine would split on are gone; words are regrouped at region boundaries instead.
   */
  private toSegments(chunk: SpeechChunk, segments: WorkerSegment[]): Segment[] {
    const at = (t: number) => chunkTimeToSource(chunk, t);
    const make = (start: number, end: number, text: string, words: WorkerSegment['words']): Segment => ({
      startSec: at(start),
      endSec: at(end),
      text,
      words: words.map((w) => ({ text: w.text, startSec: at(w.start), endSec: at(w.end), confidence: w.confidence, speaker: this.job.speaker })),
      speaker: this.job.speaker,
      channel: this.job.channel,
    });
    const out: Segment[] = [];
    for (const s of segments) {
      const groups: Array<WorkerSegment['words']> = [];
      let piece = -1;
      for (const w of s.words) {
        const p = pieceIndexAt(chunk, (w.start + w.end) / 2);
        if (p !== piece || groups.length === 0) groups.push([]);
        piece = p;
        groups[groups.length - 1]?.push(w);
      }
      if (groups.length <= 1) out.push(make(s.start, s.end, s.text, s.words));
      else
        for (const words of groups) {
          const first = words[0];
          const last = words[words.length - 1];
          if (first !== undefined && last !== undefined) out.push(make(first.start, last.end, words.map((w) => w.text).join(' '), words));
        }
    }
    return out;
  }
}
