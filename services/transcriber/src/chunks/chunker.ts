import type { SpeechRegion } from '../speech/speech-regions.js';

/** A stretch of source audio that goes into a chunk, in 16 kHz samples. */
export interface ChunkPiece {
  start: number;
  end: number;
}

/** At most AUDIO_CHUNK_SEC of speech, cut from the source and joined, for one engine call. */
export interface SpeechChunk {
  index: number;
  pieces: ChunkPiece[];
  samples: number;
}

/**
 * Packs speech regions into chunks of at most `maxSamples` of speech. Only the speech (plus
 * `padSamples` of context either side) goes to the engine: hold music and long pauses cost nothing.
 * A region longer than a chunk is cut at the limit.
 */
export class Chunker {
  private pieces: ChunkPiece[] = [];
  private samples = 0;
  private lastEnd = 0;
  private nextIndex = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly padSamples: number,
    private readonly onChunk: (c: SpeechChunk) => void,
  ) {}

  /** `available` is how much source audio exists, so padding never reads past it. */
  addRegion(region: SpeechRegion, available: number): void {
    let start = Math.max(this.lastEnd, region.start - this.padSamples);
    const end = Math.min(available, region.end + this.padSamples);
    while (start < end) {
      const room = this.maxSamples - this.samples;
      if (room <= 0) {
        this.emit();
        continue;
      }
      const length = end - start;
      // Keep a region whole when it fits in a fresh chunk rather than splitting it across two.
      if (length > room && this.samples > 0 && length <= this.maxSamples) {
        this.emit();
        continue;
      }
      const take = Math.min(length, room);
      this.pieces.push({ start, end: start + take });
      this.samples += take;
      start += take;
    }
    this.lastEnd = Math.max(this.lastEnd, end);
  }

  /**
   * No region still to come starts before `sample` (padding included): audio before it is not
   * needed unless a pending chunk holds it. Without this, a long silence was never released.
   */
  settle(sample: number): void {
    this.lastEnd = Math.max(this.lastEnd, sample);
  }

  /** The first source sample a pending or future chunk can still need. */
  get lowWatermark(): number {
    return this.pieces[0]?.start ?? this.lastEnd;
  }

  get chunkCount(): number {
    return this.nextIndex;
  }

  end(): void {
    if (this.samples > 0) this.emit();
  }

  private emit(): void {
    this.onChunk({ index: this.nextIndex++, pieces: this.pieces, samples: this.samples });
    this.pieces = [];
    this.samples = 0;
  }
}

/** Maps a time inside a chunk's joined audio back to the source timeline, in seconds. */
export function chunkTimeToSource(chunk: SpeechChunk, tSec: number, rateHz = 16000): number {
  let t = Math.max(0, tSec * rateHz);
  for (const piece of chunk.pieces) {
    const length = piece.end - piece.start;
    if (t <= length) return (piece.start + t) / rateHz;
    t -= length;
  }
  const last = chunk.pieces[chunk.pieces.length - 1];
  return (last?.end ?? 0) / rateHz;
}

/** Which piece of the chunk a time inside its joined audio falls in. */
export function pieceIndexAt(chunk: SpeechChunk, tSec: number, rateHz = 16000): number {
  let t = tSec * rateHz;
  for (const [i, piece] of chunk.pieces.entries()) {
    t -= piece.end - piece.start;
    if (t < 0) return i;
  }
  return chunk.pieces.length - 1;
}
