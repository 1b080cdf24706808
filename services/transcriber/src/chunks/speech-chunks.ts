import type { Transform } from '#common/pipe.js';
import { Chunker, type SpeechChunk } from './chunker.js';
import { TARGET_RATE_HZ } from '../audio/resampler.js';
import type { SpeechDetector, SpeechEvent } from '../speech/speech-detector.js';

export interface ChunkingOptions {
  audioChunkSec: number;
  speechPadMs: number;
}

/** A chunk ready for the engine, or how far the track is settled (no later chunk starts before). */
export type ChunkEvent =
  | { kind: 'chunk'; chunk: SpeechChunk; audio: Float32Array }
  | { kind: 'settled'; sample: number };

/** Copies a chunk's pieces out of the track's audio, joined, as the engine will hear them. */
function cut(detector: SpeechDetector, chunk: SpeechChunk): Float32Array {
  const audio = new Float32Array(chunk.samples);
  let offset = 0;
  for (const piece of chunk.pieces) {
    detector.audio.copyInto(audio, offset, piece.start, piece.end);
    offset += piece.end - piece.start;
  }
  return audio;
}

/**
 * Stage: speech regions → chunks of at most `audioChunkSec` of speech (padded by `speechPadMs`),
 * each with its audio. Audio no pending chunk can need is released as it goes.
 */
export function chunkSpeech(detector: SpeechDetector, options: ChunkingOptions): Transform<SpeechEvent, ChunkEvent> {
  const padSamples = Math.round((options.speechPadMs * TARGET_RATE_HZ) / 1000);
  return async function* (events) {
    const cutChunks: SpeechChunk[] = [];
    const chunker = new Chunker(Math.round(options.audioChunkSec * TARGET_RATE_HZ), padSamples, (c) =>
      cutChunks.push(c),
    );
    const chunks = function* (): Generator<ChunkEvent> {
      for (const chunk of cutChunks.splice(0)) yield { kind: 'chunk', chunk, audio: cut(detector, chunk) };
    };
    for await (const event of events) {
      if (event.kind === 'region') chunker.addRegion(event.region, detector.audio.length);
      yield* chunks();
      // A region not yet reported can reach `padSamples` before its start.
      if (event.kind === 'settled') {
        yield { kind: 'settled', sample: Math.min(event.sample - padSamples, chunker.lowWatermark) };
        chunker.settle(event.sample - padSamples);
      }
      detector.release(chunker.lowWatermark);
    }
    chunker.end();
    yield* chunks();
  };
}
