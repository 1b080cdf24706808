import { invalidArgument } from '#common/service-error.js';
import type { SourceInfo } from './decode/audio-decoder.js';
import type { SpeechDetector } from './speech-detector.js';
import type { TrackAudio } from './track-decoder.js';

export interface DetectedTracks {
  /** One per track, in track order. */
  detectors: SpeechDetector[];
  source: SourceInfo;
  /** Settles when every decoded sample has reached its detector; a decode failure aborts them all. */
  fed: Promise<void>;
}

/**
 * Reads decoded audio until the layout is known, opens one speech detector per track, and keeps
 * feeding them in the background while the caller consumes their speech events.
 */
export async function detectTracks(
  audio: AsyncIterable<TrackAudio>,
  open: () => SpeechDetector,
): Promise<DetectedTracks> {
  const iterator = audio[Symbol.asyncIterator]();
  let first = await iterator.next();
  while (first.done !== true && first.value.kind !== 'layout') first = await iterator.next();
  if (first.done === true || first.value.kind !== 'layout') throw invalidArgument('the stream ended before any audio');
  const { tracks, source } = first.value;
  const detectors = Array.from({ length: tracks }, open);
  const fed = (async () => {
    try {
      for await (const block of { [Symbol.asyncIterator]: () => iterator }) {
        if (block.kind === 'samples') detectors[block.track]?.push(block.samples);
      }
      for (const d of detectors) d.end();
    } catch (err: unknown) {
      for (const d of detectors) d.abort(err);
      throw err;
    }
  })();
  fed.catch(() => {});
  return { detectors, source, fed };
}
