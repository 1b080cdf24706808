import { status } from '@grpc/grpc-js';
import { DiarizationMode, type AudioStreamRequest, type TranscriptionConfig } from '../../../gen/callscribe/v1/audio.js';
import type { EngineInfo, FinalResult, Segment, TranscriptEvent } from '../../../gen/callscribe/v1/transcript.js';
import { AsyncQueue } from '../../common/src/async-queue.js';
import { ServiceError, invalidArgument } from '../../common/src/service-error.js';
import { audioOf, expectConfig } from '../../common/src/validate-config.js';
import type { Batcher } from './batcher.js';
import { Chunker, chunkTimeToSource, pieceIndexAt, type SpeechChunk } from './chunker.js';
import { AudioDecoder, type SourceInfo } from './decode/audio-decoder.js';
import { createResampler, TARGET_RATE_HZ, type Resampler } from './resampler.js';
import { SpeechRegionTracker, type SpeechRegionOptions } from './speech-regions.js';
import type { VadScheduler } from './vad-scheduler.js';
import type { WorkerSegment } from './worker-process.js';

export interface TranscriptionOptions {
  audioChunkSec: number;
  speechPadMs: number;
  regions: SpeechRegionOptions;
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

interface ChunkDone {
  segments: Segment[];
  queueMs: number;
  asrMs: number;
}

let nextRequestId = 1;

function downmix(planar: Float32Array[]): Float32Array {
  if (planar.length === 1) return planar[0] as Float32Array;
  const n = planar[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const ch of planar) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (ch[i] as number);
  const scale = 1 / planar.length;
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/**
 * Maps engine segments back to source time. A chunk joins several speech regions, so the pauses an
 * engine would split on are gone; words are regrouped at region boundaries instead.
 */
function toSegments(chunk: SpeechChunk, segments: WorkerSegment[], withWords: boolean): Segment[] {
  const at = (t: number) => chunkTimeToSource(chunk, t);
  const out: Segment[] = [];
  for (const s of segments) {
    const groups: WorkerSegment['words'][] = [];
    let piece = -1;
    for (const w of s.words) {
      const p = pieceIndexAt(chunk, (w.start + w.end) / 2);
      if (p !== piece || groups.length === 0) groups.push([]);
      piece = p;
      groups[groups.length - 1]?.push(w);
    }
    if (groups.length <= 1) {
      out.push(segment(at(s.start), at(s.end), s.text, withWords ? s.words : [], at));
      continue;
    }
    for (const words of groups) {
      const first = words[0];
      const last = words[words.length - 1];
      if (first === undefined || last === undefined) continue;
      out.push(segment(at(first.start), at(last.end), words.map((w) => w.text).join(' '), withWords ? words : [], at));
    }
  }
  return out;
}

function segment(startSec: number, endSec: number, text: string, words: WorkerSegment['words'], at: (t: number) => number): Segment {
  return {
    startSec,
    endSec,
    text,
    words: words.map((w) => ({ text: w.text, startSec: at(w.start), endSec: at(w.end), confidence: w.confidence, speaker: '' })),
    speaker: '',
    channel: 0,
  };
}

/**
 * One Transcribe call: decode bytes as they arrive, resample to 16 kHz, run VAD incrementally, cut
 * speech into chunks and hand each to the batcher at once, so ASR on early speech starts before the
 * upload ends. Segments go out in time order as soon as every earlier chunk is done.
 */
export async function* transcribe(
  requests: AsyncIterable<AudioStreamRequest>,
  deps: TranscriptionDeps,
  signal: AbortSignal,
): AsyncGenerator<TranscriptEvent> {
  const startedAt = performance.now();
  const iterator = requests[Symbol.asyncIterator]();
  const config: TranscriptionConfig = expectConfig(await iterator.next());
  if (config.diarization !== DiarizationMode.NONE) {
    throw new ServiceError(status.UNIMPLEMENTED, 'the transcriber does not diarize in Transcribe; ask the gateway, which runs Diarize beside it');
  }
  const language = config.language;
  const languages = deps.languages();
  if (language !== '' && !languages.includes('*') && !languages.includes(language.split('-')[0] as string)) {
    throw invalidArgument(`config.language "${language}" is not supported by the ${deps.engine().backend} engine (supported: ${languages.join(', ')})`);
  }

  const requestId = nextRequestId++;
  const { options, batcher, vad } = deps;
  const out = new AsyncQueue<TranscriptEvent>();
  // Ends with the call (cancel, deadline, shutdown) or with this request's own failure or completion;
  // either way its queued chunks go and nothing more is produced for it.
  const life = new AbortController();
  const endLife = () => life.abort(signal.reason);
  signal.addEventListener('abort', endLife, { once: true });
  const done: Array<ChunkDone | undefined> = [];
  const pendingChunks: Array<Promise<void>> = [];
  let emitted = 0;
  let decodeMs = 0;
  let speechSamples = 0;

  const onChunk = (chunk: SpeechChunk) => {
    if (life.signal.aborted) return;
    const audio = new Float32Array(chunk.samples);
    let offset = 0;
    for (const piece of chunk.pieces) {
      vadStream.audio.copyInto(audio, offset, piece.start, piece.end);
      offset += piece.end - piece.start;
    }
    speechSamples += chunk.samples;
    const job = batcher.submit(requestId, audio, language, config.wordTimestamps, life.signal).then((outcome) => {
      done[chunk.index] = { segments: toSegments(chunk, outcome.segments, config.wordTimestamps), queueMs: outcome.queueMs, asrMs: outcome.asrMs };
      while (done[emitted] !== undefined) {
        for (const segment of (done[emitted] as ChunkDone).segments) out.push({ event: { $case: 'segment', segment } });
        emitted++;
      }
    });
    job.catch((err: unknown) => out.fail(err));
    pendingChunks.push(job);
  };
  const chunker = new Chunker(Math.round(options.audioChunkSec * TARGET_RATE_HZ), Math.round((options.speechPadMs * TARGET_RATE_HZ) / 1000), onChunk);
  const regions = new SpeechRegionTracker(options.regions, (r) => chunker.addRegion(r, vadStream.audio.length));
  let vadDone!: () => void;
  const vadFinished = new Promise<void>((resolve) => (vadDone = resolve));
  const vadStream = vad.openStream({
    onProbs: (first, probs) => {
      regions.push(first, probs);
      vadStream.audio.discardBefore(Math.min(vad.lowWatermark(vadStream), chunker.lowWatermark));
    },
    onDone: () => {
      regions.end(vadStream.audio.length);
      chunker.end();
      vadDone();
    },
    onError: (err) => out.fail(err),
  });
  life.signal.addEventListener(
    'abort',
    () => {
      batcher.cancel(requestId, life.signal.reason);
      vad.drop(vadStream);
      out.fail(life.signal.reason);
    },
    { once: true },
  );

  const pending: Float32Array[][] = [];
  let source: SourceInfo | undefined;
  let resampler: Resampler | undefined;
  const decoder = new AudioDecoder(config.format, { ffmpegPath: options.ffmpegPath, maxAudioBytes: options.maxAudioBytes }, (planar, info) => {
    source = info;
    pending.push(planar);
  });
  const drain = async () => {
    if (pending.length === 0 || source === undefined) return;
    resampler ??= await createResampler(source.sampleRateHz);
    const t = performance.now();
    for (const planar of pending.splice(0)) vadStream.push(resampler.push(downmix(planar)));
    decodeMs += performance.now() - t;
  };

  const pipeline = (async () => {
    let index = 1;
    for await (const message of { [Symbol.asyncIterator]: () => iterator }) {
      const bytes = audioOf(message, index++);
      if (bytes.length === 0) continue;
      const t = performance.now();
      await decoder.write(bytes);
      decodeMs += performance.now() - t;
      await drain();
    }
    const info = await decoder.end();
    await drain();
    if (resampler !== undefined) vadStream.push(resampler.flush());
    vadStream.end();
    await vadFinished;
    await Promise.all(pendingChunks);
    const chunks = done.filter((d): d is ChunkDone => d !== undefined);
    const segments = chunks.flatMap((c) => c.segments);
    const audioSec = vadStream.audio.length / TARGET_RATE_HZ;
    const totalMs = performance.now() - startedAt;
    const final: FinalResult = {
      transcript: segments.map((s) => s.text).join(' '),
      audioDurationSec: audioSec,
      timings: {
        decodeMs,
        vadMs: vadStream.busyMs,
        queueMs: chunks.length === 0 ? 0 : chunks.reduce((n, c) => n + c.queueMs, 0) / chunks.length,
        asrMs: chunks.reduce((n, c) => n + c.asrMs, 0),
        alignMs: 0,
        diarizeMs: 0,
        assignMs: 0,
        totalMs,
      },
      rtf: audioSec > 0 ? totalMs / 1000 / audioSec : 0,
      engine: deps.engine(),
      speechSec: speechSamples / TARGET_RATE_HZ,
      chunkCount: chunker.chunkCount,
      channels: info.channels,
      sourceSampleRateHz: info.sampleRateHz,
      sourceFormat: info.sourceFormat,
      speakers: [],
      diarizationBackend: '',
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
    decoder.dispose();
    resampler?.dispose();
  }
}
