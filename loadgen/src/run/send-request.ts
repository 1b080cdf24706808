import { status as Status } from '@grpc/grpc-js';
import type { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Segment } from '#gen/callscribe/v1/transcript.js';
import { streamAudio } from '#client/stream-audio.js';
import { parseRttm } from '#client/rttm.js';
import { diarizationErrorRate } from '../metrics/der.js';
import { wordErrorRate } from '../metrics/wer.js';
import type { Recording } from '../source/recording.js';
import { audioInfo } from '../source/wav-info.js';
import type { RequestResult } from '../results/request-result.js';

export interface SendOptions {
  client: GatewayClient;
  config: Partial<TranscriptionConfig>;
  chunkBytes: number;
  deadlineMs: number;
  pace: 'max' | 'realtime';
}

export function scoreWer(
  reference: string | undefined,
  transcript: string,
): { wer: number | undefined; werRefWords: number } {
  if (reference === undefined) return { wer: undefined, werRefWords: 0 };
  const w = wordErrorRate(reference, transcript);
  return { wer: w.wer, werRefWords: w.referenceWords };
}

/** Speaker turns an answer gave: gRPC segments, WhisperX FastAPI segments, OpenAI diarized segments. */
export type SpeakerTurn = Pick<Segment, 'startSec' | 'endSec' | 'speaker'>;

export function scoreDer(
  rttm: string | undefined,
  segments: readonly SpeakerTurn[] | undefined,
): { der: number | undefined; derScoredSec: number } {
  if (rttm === undefined || segments === undefined) return { der: undefined, derScoredSec: 0 };
  const hypothesis = segments
    .filter((s) => s.speaker !== '')
    .map((s) => ({ startSec: s.startSec, endSec: s.endSec, speaker: s.speaker }));
  const d = diarizationErrorRate(parseRttm(rttm), hypothesis, 0.25);
  return { der: d.der, derScoredSec: d.scoredSec };
}

const statusName = (code: number): string => Object.entries(Status).find(([, v]) => v === code)?.[0] ?? String(code);

/** Streams one recording and measures it; never throws, a failure is a result too. */
export async function sendRecording(
  rec: Recording,
  audio: Buffer,
  intendedStartMs: number,
  level: string,
  index: number,
  warmup: boolean,
  o: SendOptions,
): Promise<RequestResult> {
  const info = audioInfo(audio);
  const startMs = Date.now();
  const t0 = performance.now();
  let firstSegmentAt: number | undefined;
  let audioSentAt: number | undefined;
  const base = {
    level,
    index,
    warmup,
    file: rec.name,
    bytes: audio.length,
    channels: info.channels,
    intendedStartMs,
    startMs,
  };
  if (o.pace === 'realtime' && info.bytesPerSec === undefined) {
    return {
      ...base,
      audioSec: undefined,
      endMs: startMs,
      latencyMs: startMs - intendedStartMs,
      uncorrectedMs: 0,
      ttfsMs: undefined,
      afterAudioMs: undefined,
      rtf: undefined,
      status: 'CLIENT_ERROR',
      error: '--pace realtime needs WAV input (its header gives the byte rate)',
      final: undefined,
      segments: 0,
      wer: undefined,
      werRefWords: 0,
      der: undefined,
      derScoredSec: 0,
      gpuMean: undefined,
      gpuMax: undefined,
    };
  }
  try {
    const r = await streamAudio((opts) => o.client.streamTranscribe(opts), audio, {
      // The server logs every line of the request with this tag: requests.csv rows can be found there.
      config: { ...o.config, requestTag: `loadgen ${level}#${index}` },
      chunkBytes: o.chunkBytes,
      deadlineMs: o.deadlineMs,
      ...(o.pace === 'realtime' ? { paceBytesPerSec: info.bytesPerSec } : {}),
      onSegment: () => (firstSegmentAt ??= performance.now()),
      onAudioSent: () => (audioSentAt = performance.now()),
    });
    const end = performance.now();
    const endMs = startMs + (end - t0);
    const audioSec = r.final.audioDurationSec;
    const latencyMs = endMs - intendedStartMs;
    return {
      ...base,
      channels: r.final.channels,
      audioSec,
      endMs,
      latencyMs,
      uncorrectedMs: end - t0,
      ttfsMs: firstSegmentAt === undefined ? undefined : firstSegmentAt - t0,
      afterAudioMs: audioSentAt === undefined ? undefined : end - audioSentAt,
      rtf: audioSec > 0 ? latencyMs / 1000 / audioSec : undefined,
      status: 'OK',
      error: '',
      final: r.final,
      segments: r.segments.length,
      ...scoreWer(rec.reference, r.final.transcript),
      ...scoreDer(rec.rttm, r.final.speakers.length > 0 ? r.segments : undefined),
      gpuMean: undefined,
      gpuMax: undefined,
    };
  } catch (err: unknown) {
    const e = err as { code?: number; details?: string; message?: string };
    const endMs = startMs + (performance.now() - t0);
    return {
      ...base,
      audioSec: info.durationSec,
      endMs,
      latencyMs: endMs - intendedStartMs,
      uncorrectedMs: endMs - startMs,
      ttfsMs: undefined,
      afterAudioMs: undefined,
      rtf: undefined,
      status: e.code === undefined ? 'CLIENT_ERROR' : statusName(e.code),
      error: e.details ?? e.message ?? String(err),
      final: undefined,
      segments: 0,
      wer: undefined,
      werRefWords: 0,
      der: undefined,
      derScoredSec: 0,
      gpuMean: undefined,
      gpuMax: undefined,
    };
  }
}
