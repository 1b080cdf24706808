import { status } from '@grpc/grpc-js';
import { DiarizationMode, type AudioStreamRequest } from '#gen/callscribe/v1/audio.js';
import type { EngineInfo, TranscriptEvent, Segment } from '#gen/callscribe/v1/transcript.js';
import { openAudioStream } from '#common/audio-stream.js';
import { channelLabel } from '#common/channel-labels.js';
import { pipe } from '#common/pipe.js';
import { ServiceError } from '#common/service-error.js';
import type { ChunkQueue } from './engine/batcher.js';
import { emptyTally, transcribeChunks, type TrackTally } from './chunks/chunk-transcription.js';
import { finalResult } from './final-result.js';
import { normaliseLanguage } from '#common/language.js';
import { RequestLanguage } from './request-language.js';
import { requestDecoding } from '#common/request-decoding.js';
import { chunkSpeech, type ChunkingOptions } from './chunks/speech-chunks.js';
import { SpeechDetector } from './speech/speech-detector.js';
import type { SpeechRegionOptions } from './speech/speech-regions.js';
import { TARGET_RATE_HZ } from './audio/resampler.js';
import { mergeByTime } from './chunks/time-ordered-merge.js';
import { TrackDecoder, type TrackDecoderOptions, type TrackLayout } from './audio/track-decoder.js';
import { detectTracks } from './speech/track-detection.js';
import type { VadScheduler } from './speech/vad-scheduler.js';

export interface TranscriptionOptions extends ChunkingOptions, TrackDecoderOptions {
  regions: SpeechRegionOptions;
  /** Decoded audio one track may hold ahead of VAD and chunking before reading pauses. */
  maxBufferedAudioSec: number;
  /** Chunks one track may have queued or running at once. */
  maxInFlightChunks: number;
  maxAudioSec: number;
}

export interface TranscriptionDeps {
  /** The cross-request batcher in the service; a scripted engine in test/unit/transcribe.test.ts. */
  chunks: ChunkQueue;
  vad: VadScheduler;
  options: TranscriptionOptions;
  engine(): EngineInfo;
  languages(): string[];
}

let nextRequestId = 1;

/** CHANNELS and AUTO transcribe each distinct channel on its own; CLUSTER and NONE, the mix. */
const layoutFor = (mode: DiarizationMode): TrackLayout =>
  mode === DiarizationMode.CHANNELS || mode === DiarizationMode.AUTO ? 'channels' : 'mix';

/**
 * One Transcribe call, the whole data path in order:
 *
 *   bytes → decode → tracks (the mix, or one per channel) → speech detection → chunks → batcher
 *   → segments → time-ordered merge across tracks → segment events → final result
 *
 * Each track's stages run as data arrives, so ASR on early speech starts before the upload ends, and
 * a segment is sent as soon as nothing earlier can still appear.
 */
export async function* transcribe(
  requests: AsyncIterable<AudioStreamRequest>,
  deps: TranscriptionDeps,
  signal: AbortSignal,
): AsyncGenerator<TranscriptEvent> {
  const startedAt = performance.now();
  const { config, audio, close } = await openAudioStream(requests);
  // BCP-47 from the caller, a Whisper code (or "" to detect) from here on.
  const language = new RequestLanguage(
    normaliseLanguage(config.language, deps.languages(), deps.engine().backend),
    deps.languages(),
  );
  const decoding = requestDecoding(config, deps.engine());
  const { chunks, vad, options } = deps;
  const requestId = nextRequestId++;

  // The request's life ends with the call (cancel, deadline, shutdown) or with its own end; either
  // way its queued chunks are dropped and its detectors stop.
  const ended = new AbortController();
  const life = AbortSignal.any([signal, ended.signal]);
  const detectors: SpeechDetector[] = [];
  const teardown = () => {
    chunks.cancel(requestId, life.reason);
    for (const d of detectors) d.abort(life.reason);
  };
  life.addEventListener('abort', teardown, { once: true });

  try {
    const decoder = new TrackDecoder(config.format, options, layoutFor(config.diarization));
    const tracks = await detectTracks(decoder.decode(audio), () => new SpeechDetector(vad, options.regions), {
      maxSamples: options.maxAudioSec * TARGET_RATE_HZ,
      maxBufferedSamples: options.maxBufferedAudioSec * TARGET_RATE_HZ,
    });
    detectors.push(...tracks.detectors);
    if (life.aborted) teardown();

    const tallies: TrackTally[] = [];
    const perTrack = tracks.detectors.map((detector, c) => {
      const tally = emptyTally();
      tallies.push(tally);
      const owner =
        tracks.detectors.length > 1 ? { speaker: channelLabel(config, c), channel: c } : { speaker: '', channel: 0 };
      // Words are always asked for: they place segment boundaries and, later, speakers.
      const submit = async (chunk: Float32Array) => {
        const lang = await language.forChunk();
        try {
          const outcome = await chunks.submit(
            requestId,
            chunk,
            { ...decoding, language: lang.language, wordTimestamps: true },
            life,
          );
          lang.report(outcome.language);
          return outcome;
        } catch (err: unknown) {
          lang.fail();
          throw err;
        }
      };
      return pipe(
        detector,
        chunkSpeech(detector, options),
        transcribeChunks(submit, owner, tally, options.maxInFlightChunks),
      );
    });

    const segments: Segment[] = [];
    for await (const segment of mergeByTime(perTrack)) {
      segments.push(segment);
      yield { event: { $case: 'segment', segment: config.wordTimestamps ? segment : { ...segment, words: [] } } };
    }
    await tracks.fed;

    const final = finalResult({
      config,
      segments,
      source: decoder.source ?? tracks.source,
      audioSamples: tracks.detectors[0]?.audio.length ?? 0,
      decodeMs: decoder.decodeMs,
      vadMs: tracks.detectors.reduce((n, d) => n + d.busyMs, 0),
      tallies,
      engine: deps.engine(),
      language: await language.resolved(),
      startedAt,
    });
    yield { event: { $case: 'final', final } };
  } finally {
    if (!life.aborted) ended.abort(new ServiceError(status.CANCELLED, 'request ended'));
    life.removeEventListener('abort', teardown);
    close();
  }
}
