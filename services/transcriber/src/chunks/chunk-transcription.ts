import type { Segment } from '#gen/callscribe/v1/transcript.js';
import { AsyncQueue } from '#common/async-queue.js';
import type { Transform } from '#common/pipe.js';
import type { ChunkOutcome } from '../engine/batcher.js';
import { chunkSegments, type TrackSpeaker } from './chunk-segments.js';
import { TARGET_RATE_HZ } from '../audio/resampler.js';
import type { ChunkEvent } from './speech-chunks.js';

/** A track's output: finished segments in time order, or how far the track is settled, in seconds. */
export type TrackEvent = { kind: 'segments'; segments: Segment[] } | { kind: 'settled'; sec: number };

/** What a track cost, summed over its chunks, for the final result. */
export interface TrackTally {
  chunks: number;
  speechSamples: number;
  queueMs: number;
  asrMs: number;
}

export const emptyTally = (): TrackTally => ({ chunks: 0, speechSamples: 0, queueMs: 0, asrMs: 0 });

interface InFlight {
  startSample: number;
  done: TrackEvent | undefined;
}

/**
 * Stage: chunks → engine → segments. Every chunk goes to the batcher the moment it is cut (so ASR on
 * early speech runs while the upload goes on); results come out in chunk order, each followed by how
 * far the track is settled, which the time-ordered merge needs to interleave tracks.
 */
export function transcribeChunks(
  submit: (audio: Float32Array) => Promise<ChunkOutcome>,
  owner: TrackSpeaker,
  tally: TrackTally,
  maxInFlight = Infinity,
): Transform<ChunkEvent, TrackEvent> {
  return (chunks) => {
    const out = new AsyncQueue<TrackEvent>((last, next) =>
      last.kind === 'settled' && next.kind === 'settled' ? next : undefined,
    );
    const inFlight: InFlight[] = [];
    // At most `maxInFlight` chunks of this track wait or run: the rest stay uncut, and reading stops
    // behind them (see detectTracks), so one long file cannot fill the batcher or memory.
    let pending = 0;
    let room: (() => void) | undefined;
    const freeSlot = () => {
      pending--;
      const r = room;
      room = undefined;
      r?.();
    };
    let settledSample = 0;
    let ended = false;
    const publish = () => {
      while (inFlight[0]?.done !== undefined) out.push((inFlight.shift() as InFlight).done as TrackEvent);
      const head = inFlight[0];
      out.push({ kind: 'settled', sec: Math.min(settledSample, head?.startSample ?? Infinity) / TARGET_RATE_HZ });
      if (ended && inFlight.length === 0) out.close();
    };
    void (async () => {
      for await (const event of chunks) {
        if (event.kind === 'settled') settledSample = event.sample;
        else {
          const { chunk, audio } = event;
          const entry: InFlight = { startSample: chunk.pieces[0]?.start ?? 0, done: undefined };
          inFlight.push(entry);
          tally.chunks++;
          tally.speechSamples += chunk.samples;
          pending++;
          submit(audio).then(
            (outcome) => {
              freeSlot();
              tally.queueMs += outcome.queueMs;
              tally.asrMs += outcome.asrMs;
              entry.done = {
                kind: 'segments',
                segments: chunkSegments(chunk, outcome.segments, owner, outcome.aligned),
              };
              publish();
            },
            (err: unknown) => {
              freeSlot();
              out.fail(err);
            },
          );
        }
        publish();
        while (pending >= maxInFlight && !out.failed) await new Promise<void>((resolve) => (room = resolve));
      }
      ended = true;
      settledSample = Infinity;
      publish();
    })().catch((err: unknown) => out.fail(err));
    return out;
  };
}
