import { status } from '@grpc/grpc-js';
import { DiarizationMode, type AudioStreamRequest, type TranscriptionConfig } from '../../../gen/callscribe/v1/audio.js';
import type { EngineInfo, FinalResult, Segment, TranscriptEvent } from '../../../gen/callscribe/v1/transcript.js';
import { AsyncQueue } from '../../common/src/async-queue.js';
import { channelLabel } from '../../common/src/channel-labels.js';
import { ServiceError, invalidArgument } from '../../common/src/service-error.js';
import { audioOf, expectConfig } from '../../common/src/validate-config.js';
import { AudioIntake, type TrackLayout } from './audio-intake.js';
import type { Batcher } from './batcher.js';
import { TARGET_RATE_HZ } from './resampler.js';
import { SpeechTrack, type TrackOptions } from './speech-track.js';
import type { VadScheduler } from './vad-scheduler.js';

export interface TranscriptionOptions extends TrackOptions {
  ffmpegPath: string | undefined;
  maxAudioBytes: number;
}

export interface TranscriptionDeps {
  batcher: Batcher;
  vad: VadScheduler;
  options: TranscriptionOptions;
  engine(): EngineInfo;
  languages(): string[];
}

let nextRequestId = 1;

/** CHANNELS and AUTO transcribe each distinct channel on its own; CLUSTER and NONE, the mix. */
export const layoutFor = (mode: DiarizationMode): TrackLayout =>
  mode === DiarizationMode.CHANNELS || mode === DiarizationMode.AUTO ? 'channels' : 'mix';

export function checkLanguage(config: TranscriptionConfig, deps: Pick<TranscriptionDeps, 'languages' | 'engine'>): void {
  const languages = deps.languages();
  const base = config.language.split('-')[0] as string;
  if (config.language !== '' && !languages.includes('*') && !languages.includes(base)) {
    throw invalidArgument(`config.language "${config.language}" is not supported by the ${deps.engine().backend} engine (supported: ${languages.join(', ')})`);
  }
}

/**
 * One Transcribe call: decode bytes as they arrive, resample to 16 kHz, run VAD incrementally, cut
 * speech into chunks and hand each to the batcher at once, so ASR on early speech starts before the
 * upload ends. Segments go out in time order as soon as nothing earlier can still appear, across
 * channels when each channel is transcribed on its own.
 */
export async function* transcribe(requests: AsyncIterable<AudioStreamRequest>, deps: TranscriptionDeps, signal: AbortSignal): AsyncGenerator<TranscriptEvent> {
  const startedAt = performance.now();
  const iterator = requests[Symbol.asyncIterator]();
  const config: TranscriptionConfig = expectConfig(await iterator.next());
  checkLanguage(config, deps);

  const requestId = nextRequestId++;
  const { options, batcher, vad } = deps;
  const out = new AsyncQueue<TranscriptEvent>();
  // Ends with the call (cancel, deadline, shutdown) or with this request's own failure or completion;
  // either way its queued chunks go and nothing more is produced for it.
  const life = new AbortController();
  const endLife = () => life.abort(signal.reason);
  signal.addEventListener('abort', endLife, { once: true });
  const tracks: SpeechTrack[] = [];
  const emitReady = (final: boolean) => {
    for (;;) {
      let best: SpeechTrack | undefined;
      for (const t of tracks) if (t.ready[0] !== undefined && (best === undefined || (t.ready[0].startSec < (best.ready[0] as Segment).startSec))) best = t;
      if (best === undefined) return;
      const head = best.ready[0] as Segment;
      const blocked = !final && tracks.some((t) => t !== best && t.ready.length === 0 && t.watermarkSec < head.startSec);
      if (blocked) return;
      best.ready.shift();
      out.push({ event: { $case: 'segment', segment: config.wordTimestamps ? head : { ...head, words: [] } } });
    }
  };
  const intake = new AudioIntake(config.format, options, layoutFor(config.diarization), (count) => {
    for (let c = 0; c < count; c++) {
      const job = { requestId, language: config.language, signal: life.signal, speaker: count > 1 ? channelLabel(config, c) : '', channel: count > 1 ? c : 0 };
      tracks.push(new SpeechTrack(vad, batcher, options, job, () => emitReady(false), (err) => out.fail(err)));
    }
    return tracks.map((t) => t.vad);
  });
  life.signal.addEventListener(
    'abort',
    () => {
      batcher.cancel(requestId, life.signal.reason);
      for (const t of tracks) vad.drop(t.vad);
      out.fail(life.signal.reason);
    },
    { once: true },
  );

  const pipeline = (async () => {
    let index = 1;
    for await (const message of { [Symbol.asyncIterator]: () => iterator }) {
      const bytes = audioOf(message, index++);
      if (bytes.length > 0) await intake.write(bytes);
    }
    const { info } = await intake.end();
    for (const t of tracks) t.vad.end();
    const results = await Promise.all(tracks.map((t) => t.finished()));
    emitReady(true);
    const chunks = results.flat();
    const segments = tracks.length === 1 ? results[0]?.flatMap((c) => c.segments) ?? [] : chunks.flatMap((c) => c.segments).sort((a, b) => a.startSec - b.startSec);
    const audioSec = (tracks[0]?.vad.audio.length ?? 0) / TARGET_RATE_HZ;
    const totalMs = performance.now() - startedAt;
    const final: FinalResult = {
      transcript: segments.map((s) => s.text).join(' '),
      audioDurationSec: audioSec,
      timings: {
        decodeMs: intake.decodeMs,
        vadMs: tracks.reduce((n, t) => n + t.vad.busyMs, 0),
        queueMs: chunks.length === 0 ? 0 : chunks.reduce((n, c) => n + c.queueMs, 0) / chunks.length,
        asrMs: chunks.reduce((n, c) => n + c.asrMs, 0),
        alignMs: 0,
        diarizeMs: 0,
        assignMs: 0,
        totalMs,
      },
      rtf: audioSec > 0 ? totalMs / 1000 / audioSec : 0,
      engine: deps.engine(),
      speechSec: tracks.reduce((n, t) => n + t.speechSamples, 0) / TARGET_RATE_HZ,
      chunkCount: tracks.reduce((n, t) => n + t.chunkCount, 0),
      channels: info.channels,
      sourceSampleRateHz: info.sampleRateHz,
      sourceFormat: info.sourceFormat,
      speakers: tracks.length > 1 ? tracks.map((_, c) => channelLabel(config, c)) : [],
      diarizationBackend: tracks.length > 1 ? 'channels' : '',
    };
    out.push({ event: { $case: 'final', final } });
    out.close();
  })();
  pipeline.catch((err: unknown) => out.fail(err));

  try {
    yield* out;
  } finally {
    signal.removeEventListener('abort', endLife);
    if (!life.signal.aborted) life.abort(new ServiceError(status.CANCELLED, 'request ended'));
    void iterator.return?.();
    intake.dispose();
  }
}
