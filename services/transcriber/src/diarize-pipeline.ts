import { DiarizationMode, type AudioStreamRequest } from '#gen/callscribe/v1/audio.js';
import type { Diarization, SpeakerTurn } from '#gen/callscribe/v1/diarization.js';
import { openAudioStream } from '#common/audio-stream.js';
import { channelLabel } from '#common/channel-labels.js';
import { unavailable } from '#common/service-error.js';
import { TARGET_RATE_HZ } from './audio/resampler.js';
import { bridgeTurns } from './speech/speaker-turns.js';
import { SpeechDetector } from './speech/speech-detector.js';
import type { SpeechRegion, SpeechRegionOptions } from './speech/speech-regions.js';
import { TrackDecoder, type TrackDecoderOptions } from './audio/track-decoder.js';
import { detectTracks } from './speech/track-detection.js';
import type { VadScheduler } from './speech/vad-scheduler.js';
import type { WorkerPool } from './engine/worker-pool.js';

export interface DiarizeDeps extends TrackDecoderOptions {
  vad: VadScheduler;
  /** Undefined when the transcriber runs without a diarizer (--diarizer none). */
  diarizers: WorkerPool | undefined;
  regions: SpeechRegionOptions;
  maxAudioSec: number;
}

const sec = (samples: number) => samples / TARGET_RATE_HZ;

/** A track's speech regions; `keepAudio` holds all of its audio for a diarizer that needs it whole. */
async function collectRegions(detector: SpeechDetector, keepAudio: boolean): Promise<SpeechRegion[]> {
  const regions: SpeechRegion[] = [];
  for await (const event of detector) {
    if (event.kind === 'region') regions.push(event.region);
    if (!keepAudio) detector.release(Infinity);
  }
  return regions;
}

/**
 * One Diarize call: bytes → decode → tracks → speech detection, then one of two ends. A recording
 * whose channels differ is diarized by channel, exactly and almost for free (each channel's speech
 * regions are its speaker's turns). Otherwise the mix goes to the diarizer backend with its speech
 * regions, in one call per recording.
 */
export async function diarize(
  requests: AsyncIterable<AudioStreamRequest>,
  deps: DiarizeDeps,
  signal: AbortSignal,
): Promise<Diarization> {
  const startedAt = performance.now();
  const { config, audio, close } = await openAudioStream(requests);
  const decoder = new TrackDecoder(
    config.format,
    deps,
    config.diarization === DiarizationMode.CLUSTER ? 'mix' : 'channels',
  );
  const detectors: SpeechDetector[] = [];
  const abort = () => {
    for (const d of detectors) d.abort(signal.reason);
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    // The diarizer clusters over the whole mix, so its audio is held (up to --max-audio-sec), not paused.
    const tracks = await detectTracks(decoder.decode(audio), () => new SpeechDetector(deps.vad, deps.regions), {
      maxSamples: deps.maxAudioSec * TARGET_RATE_HZ,
    });
    detectors.push(...tracks.detectors);
    if (signal.aborted) abort();
    const byChannel = detectors.length > 1;
    const regions = await Promise.all(detectors.map((d) => collectRegions(d, !byChannel)));
    await tracks.fed;
    const base = {
      audioDurationSec: sec(detectors[0]?.audio.length ?? 0),
      decodeMs: decoder.decodeMs,
      vadMs: detectors.reduce((n, d) => n + d.busyMs, 0),
    };
    if (byChannel) {
      const turns: SpeakerTurn[] = bridgeTurns(
        regions.flatMap((rs, c) =>
          rs.map((r) => ({ startSec: sec(r.start), endSec: sec(r.end), speaker: channelLabel(config, c) })),
        ),
      );
      const speakers = detectors
        .map((_, c) => channelLabel(config, c))
        .filter((s) => turns.some((t) => t.speaker === s));
      return {
        ...base,
        turns,
        speakers,
        numSpeakers: speakers.length,
        // One speaker per channel that spoke: the count is exact.
        countConfidence: 1,
        countAlternatives: [{ speakers: speakers.length, score: 1 }],
        mode: 'CHANNELS',
        backend: 'channels',
        diarizeMs: 0,
        totalMs: performance.now() - startedAt,
      };
    }
    const mix = detectors[0] as SpeechDetector;
    const speech = regions[0] ?? [];
    const pool = deps.diarizers;
    if (speech.length === 0)
      return {
        ...base,
        turns: [],
        speakers: [],
        numSpeakers: 0,
        countConfidence: 0,
        countAlternatives: [],
        mode: 'CLUSTER',
        backend: pool?.engine?.backend ?? 'none',
        diarizeMs: 0,
        totalMs: performance.now() - startedAt,
      };
    if (pool === undefined)
      throw unavailable(
        'this transcriber runs without a diarizer (--diarizer none); mono audio cannot be diarized here',
      );
    const whole = new Float32Array(mix.audio.length);
    mix.audio.copyInto(whole, 0, 0, whole.length);
    const result = await pool.withWorker(signal, (worker) =>
      worker.diarize(
        whole,
        speech.map((r) => [sec(r.start), sec(r.end)]),
        config.minSpeakers,
        config.maxSpeakers,
      ),
    );
    const turns = bridgeTurns(result.turns.map((t) => ({ startSec: t.start, endSec: t.end, speaker: t.speaker })));
    const speakers = [...new Set(turns.map((t) => t.speaker))];
    return {
      ...base,
      turns,
      speakers,
      numSpeakers: speakers.length,
      countConfidence: result.speakerCount?.confidence ?? 0,
      countAlternatives: result.speakerCount?.alternatives ?? [],
      mode: 'CLUSTER',
      backend: pool.engine?.backend ?? '',
      diarizeMs: result.elapsedMs,
      totalMs: performance.now() - startedAt,
    };
  } finally {
    signal.removeEventListener('abort', abort);
    close();
  }
}
