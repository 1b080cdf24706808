import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  AudioEncoding,
  DiarizationMode,
  type AudioStreamRequest,
  type TranscriptionConfig,
} from '#gen/callscribe/v1/audio.js';
import type { FinalResult, Segment, TranscriptEvent } from '#gen/callscribe/v1/transcript.js';
import { ServiceError } from '#common/service-error.js';
import type { ChunkOutcome, ChunkQueue } from '../../services/transcriber/src/engine/batcher.js';
import { DEFAULT_REGION_OPTIONS } from '../../services/transcriber/src/speech/speech-regions.js';
import { loadVadModel, type VadModel } from '../../services/transcriber/src/speech/vad-model.js';
import { VadScheduler } from '../../services/transcriber/src/speech/vad-scheduler.js';
import { transcribe, type TranscriptionDeps } from '../../services/transcriber/src/transcribe-pipeline.js';
import { pcm16, syntheticVoice } from '../support/synthetic-voice.js';
import { wavHeader } from '../support/wav-header.js';

const RATE_HZ = 16_000;

/**
 * The engine seam, scripted: each chunk is answered with one segment naming its order and length,
 * with a word at each end, so the test sees exactly what reached the engine and where it came back.
 */
function scriptedEngine(answer?: (n: number, audio: Float32Array) => Promise<ChunkOutcome> | undefined) {
  const submitted: Array<{ requestId: number; samples: number; language: string; prompt: string }> = [];
  const cancelled: number[] = [];
  const waiting = new Map<number, Array<(reason: unknown) => void>>();
  const queue: ChunkQueue = {
    submit(requestId, audio, { language, prompt }, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      const n = submitted.push({ requestId, samples: audio.length, language, prompt });
      const scripted = answer?.(n, audio);
      if (scripted !== undefined) return scripted;
      const sec = audio.length / RATE_HZ;
      return Promise.resolve({
        segments: [
          {
            start: 0,
            end: sec,
            text: `chunk${n}`,
            words: [
              { text: `chunk${n}a`, start: 0.05, end: 0.3, confidence: 0.9 },
              { text: `chunk${n}b`, start: sec - 0.3, end: sec - 0.05, confidence: 0.9 },
            ],
          },
        ],
        language: language || 'en',
        aligned: true,
        queueMs: 0,
        asrMs: 1,
      });
    },
    cancel(requestId, reason) {
      cancelled.push(requestId);
      for (const reject of waiting.get(requestId) ?? []) reject(reason);
      waiting.delete(requestId);
    },
  };
  /** A chunk that stays on the "engine" until its request is cancelled. */
  const hang = (requestId: number) =>
    new Promise<ChunkOutcome>((_, reject) => waiting.set(requestId, [...(waiting.get(requestId) ?? []), reject]));
  return { queue, submitted, cancelled, hang };
}

/** Speech at the given [start, end) seconds of `totalSec`, near-silence elsewhere. */
function speechAt(totalSec: number, spans: Array<[number, number]>, seed = 1): Float32Array {
  const out = new Float32Array(totalSec * RATE_HZ);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(i * 0.7) * 0.0005;
  spans.forEach(([s, e], k) => {
    out.set(syntheticVoice(e - s, seed + k), s * RATE_HZ);
  });
  return out;
}

function* requests(channels: Float32Array[], config: Partial<TranscriptionConfig> = {}): Generator<AudioStreamRequest> {
  const pcm = pcm16(channels);
  yield {
    payload: {
      $case: 'config',
      config: {
        format: { encoding: AudioEncoding.AUTO, sampleRateHz: 0, channels: 0 },
        language: 'en',
        diarization: DiarizationMode.NONE,
        minSpeakers: 0,
        maxSpeakers: 0,
        wordTimestamps: true,
        channelLabels: [],
        requestTag: '',
        prompt: '',
        ...config,
      },
    },
  };
  yield { payload: { $case: 'audio', audio: wavHeader({ channels: channels.length, dataBytes: pcm.length }) } };
  for (let at = 0; at < pcm.length; at += 32 * 1024)
    yield { payload: { $case: 'audio', audio: pcm.subarray(at, at + 32 * 1024) } };
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

async function run(events: AsyncIterable<TranscriptEvent>): Promise<{ segments: Segment[]; final: FinalResult }> {
  const segments: Segment[] = [];
  let final: FinalResult | undefined;
  for await (const { event } of events) {
    if (event?.$case === 'segment') segments.push(event.segment);
    if (event?.$case === 'final') final = event.final;
  }
  assert.ok(final !== undefined, 'a final event ends the stream');
  return { segments, final };
}

describe('transcribe() in-process: real decode and Silero VAD, a scripted engine', () => {
  let model: VadModel;
  let vad: VadScheduler;
  before(async () => {
    model = await loadVadModel();
    vad = new VadScheduler(model);
  });
  after(() => model.release());

  const deps = (queue: ChunkQueue, audioChunkSec = 30): TranscriptionDeps => ({
    chunks: queue,
    vad,
    engine: () => ({
      backend: 'scripted',
      model: 'none',
      device: 'cpu',
      computeType: 'none',
      batchSize: 1,
      decodingOptions: ['prompt'],
    }),
    languages: () => ['en'],
    options: {
      audioChunkSec,
      speechPadMs: 200,
      regions: { ...DEFAULT_REGION_OPTIONS, maxSpeechMs: audioChunkSec * 1000 - 400 },
      ffmpegPath: undefined,
      maxAudioBytes: 1 << 30,
      maxSpoolBytes: 1 << 30,
      maxBufferedAudioSec: 60,
      maxInFlightChunks: 4,
      maxAudioSec: 3600,
    },
  });

  it('sends only speech to the engine and maps its segments back to source time, in order', async () => {
    const engine = scriptedEngine();
    const audio = speechAt(10, [
      [1, 3],
      [5.5, 8],
    ]);
    const { segments, final } = await run(
      transcribe(asAsync(requests([audio])), deps(engine.queue, 3), new AbortController().signal),
    );

    // 3 s chunks cannot hold both 2 s regions with padding: two chunks, one per region.
    assert.equal(engine.submitted.length, 2);
    assert.equal(final.chunkCount, 2);
    const sent = engine.submitted.reduce((n, s) => n + s.samples, 0) / RATE_HZ;
    assert.ok(sent > 4 && sent < 6, `about 4.5 s of 10 s reached the engine, got ${sent.toFixed(2)} s`);
    assert.ok(Math.abs(final.speechSec - sent) < 0.01, 'speechSec is what the engine got');
    assert.deepEqual(
      segments.map((s) => s.text),
      ['chunk1', 'chunk2'],
    );
    const [first, second] = segments as [Segment, Segment];
    assert.ok(first.startSec > 0.6 && first.startSec < 1.3, `first segment starts near 1 s: ${first.startSec}`);
    assert.ok(first.endSec > 2.7 && first.endSec < 3.5, `first segment ends near 3 s: ${first.endSec}`);
    assert.ok(second.startSec > 5.1 && second.startSec < 5.8, `second segment starts near 5.5 s: ${second.startSec}`);
    assert.ok(second.endSec > 7.7 && second.endSec < 8.5, `second segment ends near 8 s: ${second.endSec}`);
    assert.ok((first.words[0]?.startSec ?? 0) >= first.startSec, 'words are mapped with their segment');
    assert.equal(final.transcript, 'chunk1 chunk2');
    assert.equal(final.audioDurationSec, 10);
    assert.equal(final.sourceFormat, 'wav/pcm_s16le');
    assert.equal(final.language, 'en');
    assert.deepEqual(engine.cancelled, [engine.submitted[0]?.requestId], 'the request is released when it ends');
  });

  it("sends the request's prompt with every chunk, trimmed, and refuses a temperature the engine cannot sample at", async () => {
    const engine = scriptedEngine();
    const audio = speechAt(10, [
      [1, 3],
      [5.5, 8],
    ]);
    await run(
      transcribe(
        asAsync(requests([audio], { prompt: '  ACME, Zendesk ' })),
        deps(engine.queue, 3),
        new AbortController().signal,
      ),
    );
    assert.deepEqual(
      engine.submitted.map((s) => s.prompt),
      ['ACME, Zendesk', 'ACME, Zendesk'],
    );
    const refused = scriptedEngine();
    await assert.rejects(
      run(
        transcribe(
          asAsync(requests([audio], { temperature: 0.3 })),
          deps(refused.queue, 3),
          new AbortController().signal,
        ),
      ),
      (e: unknown) => e instanceof ServiceError && /scripted engine decodes deterministically only/.test(e.message),
    );
    assert.equal(refused.submitted.length, 0, 'refused before any chunk reached the engine');
  });

  it('transcribes each channel of a stereo call on its own, labelled and merged in time order', async () => {
    const engine = scriptedEngine();
    const agent = speechAt(8, [[0.5, 2.5]], 11);
    const customer = speechAt(8, [[4, 6.5]], 23);
    const { segments, final } = await run(
      transcribe(
        asAsync(
          requests([agent, customer], {
            diarization: DiarizationMode.CHANNELS,
            channelLabels: ['agent', 'customer'],
          }),
        ),
        deps(engine.queue),
        new AbortController().signal,
      ),
    );
    assert.equal(final.channels, 2);
    assert.deepEqual(
      segments.map((s) => [s.speaker, s.channel]),
      [
        ['agent', 0],
        ['customer', 1],
      ],
    );
    assert.ok((segments[1]?.startSec ?? 0) > 3.5, 'the customer speaks after the agent');
  });

  it('fails the request with the status of a chunk the engine refused, and drops its other chunks', async () => {
    const engine = scriptedEngine((n) =>
      n === 1
        ? Promise.reject(new ServiceError(status.INVALID_ARGUMENT, 'the engine cannot read this chunk'))
        : undefined,
    );
    const audio = speechAt(10, [
      [1, 3],
      [5.5, 8],
    ]);
    await assert.rejects(
      run(transcribe(asAsync(requests([audio])), deps(engine.queue, 3), new AbortController().signal)),
      (err: unknown) => err instanceof ServiceError && err.code === status.INVALID_ARGUMENT,
    );
    assert.ok(engine.cancelled.length >= 1, 'the failed request was cancelled in the queue');
  });

  it('a cancelled call cancels its queued chunks and stops', async () => {
    const call = new AbortController();
    const engine = scriptedEngine((_n) => {
      queueMicrotask(() => call.abort(new ServiceError(status.CANCELLED, 'client cancelled')));
      return engine.hang(engine.submitted[0]?.requestId ?? -1);
    });
    const audio = speechAt(6, [[1, 4]]);
    await assert.rejects(
      run(transcribe(asAsync(requests([audio])), deps(engine.queue), call.signal)),
      (err: unknown) => err instanceof ServiceError && err.code === status.CANCELLED,
    );
    assert.deepEqual(engine.cancelled, [engine.submitted[0]?.requestId]);
  });
});
