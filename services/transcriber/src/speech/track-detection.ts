import { invalidArgument } from '#common/service-error.js';
import type { SourceInfo } from '../audio/decode/audio-decoder.js';
import type { SpeechDetector } from './speech-detector.js';
import type { TrackAudio } from '../audio/track-decoder.js';

export interface DetectedTracks {
  /** One per track, in track order. */
  detectors: SpeechDetector[];
  source: SourceInfo;
  /** Settles when every decoded sample has reached its detector; a decode failure aborts them all. */
  fed: Promise<void>;
}

export interface TrackLimits {
  /** Longest audio accepted, in 16 kHz samples per track. */
  maxSamples: number;
  /**
   * Samples a detector may hold before reading pauses; undefined when the consumer keeps the whole
   * track anyway (diarization clusters over all of it).
   */
  maxBufferedSamples?: number;
}

/**
 * Reads decoded audio until the layout is known, opens one speech detector per track, and keeps
 * feeding them in the background while the caller consumes their speech events. Feeding waits while
 * a detector holds `maxBufferedSamples`: reading from the client stops, so a fast upload of cheap
 * audio (1 kHz mu-law expands 64x) is held back by HTTP/2 flow control instead of piling up here.
 */
export async function detectTracks(
  audio: AsyncIterable<TrackAudio>,
  open: () => SpeechDetector,
  limits: TrackLimits = { maxSamples: Infinity },
): Promise<DetectedTracks> {
  const iterator = audio[Symbol.asyncIterator]();
  let first = await iterator.next();
  while (first.done !== true && first.value.kind !== 'layout') first = await iterator.next();
  if (first.done === true || first.value.kind !== 'layout') throw invalidArgument('the stream ended before any audio');
  const { tracks, source } = first.value;
  const detectors = Array.from({ length: tracks }, open);
  const fed = (async () => {
    try {
      let samples = 0;
      for await (const block of { [Symbol.asyncIterator]: () => iterator }) {
        if (block.kind !== 'samples') continue;
        if (block.track === 0) samples += block.samples.length;
        if (samples > limits.maxSamples)
          throw invalidArgument(
            `the audio is longer than the transcriber's limit of ${limits.maxSamples / 16_000} s per request; split it`,
          );
        const detector = detectors[block.track];
        detector?.push(block.samples);
        if (limits.maxBufferedSamples !== undefined) await detector?.waitForRoom(limits.maxBufferedSamples);
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
