import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { RequestResult, StageTimes } from '../../results/request-result.js';
import type { Recording } from '../../source/recording.js';
import { audioInfo } from '../../source/wav-info.js';
import { scoreDer, scoreWer, type SpeakerTurn } from '../send-request.js';
import { HttpCallError } from './http-post.js';
import type { RequestSlot } from './target-protocol.js';

/** What an HTTP protocol read from a successful answer; undefined fields were not in it. */
export interface HttpTranscript {
  transcript: string;
  /** The server's own figure for the audio's length; the WAV header's is used when absent. */
  audioSec: number | undefined;
  segments: number | undefined;
  /** Speaker turns, only when the answer was diarized (DER is scored from them). */
  turns: SpeakerTurn[] | undefined;
  speakers: number | undefined;
  stagesMs: StageTimes;
  engine: EngineInfo | undefined;
  /** performance.now() of the first text (a streamed answer only). */
  firstTextAt: number | undefined;
  /** performance.now() when the last byte of the upload went out. */
  sentAt: number | undefined;
}

/**
 * Runs one HTTP exchange and turns it into a request result, measured the way the gRPC path measures
 * (latency from the intended start, uncorrected from the send). Never throws.
 */
export async function measureHttp(
  rec: Recording,
  audio: Buffer,
  slot: RequestSlot,
  pace: 'max' | 'realtime',
  exchange: (paceBytesPerSec: number | undefined) => Promise<HttpTranscript>,
): Promise<RequestResult> {
  const info = audioInfo(audio);
  const startMs = Date.now();
  const t0 = performance.now();
  const base = {
    level: slot.level,
    index: slot.index,
    warmup: slot.warmup,
    file: rec.name,
    bytes: audio.length,
    channels: info.channels,
    intendedStartMs: slot.intendedStartMs,
    startMs,
    final: undefined,
    gpuMean: undefined,
    gpuMax: undefined,
  };
  const failed = (status: string, error: string): RequestResult => {
    const endMs = startMs + (performance.now() - t0);
    return {
      ...base,
      audioSec: info.durationSec,
      endMs,
      latencyMs: endMs - slot.intendedStartMs,
      uncorrectedMs: endMs - startMs,
      ttfsMs: undefined,
      afterAudioMs: undefined,
      rtf: undefined,
      status,
      error,
      segments: 0,
      wer: undefined,
      werRefWords: 0,
      der: undefined,
      derScoredSec: 0,
    };
  };
  if (pace === 'realtime' && info.bytesPerSec === undefined)
    return failed('CLIENT_ERROR', '--pace realtime needs WAV input (its header gives the byte rate)');
  try {
    const t = await exchange(pace === 'realtime' ? info.bytesPerSec : undefined);
    const end = performance.now();
    const endMs = startMs + (end - t0);
    const audioSec = t.audioSec ?? info.durationSec;
    const latencyMs = endMs - slot.intendedStartMs;
    return {
      ...base,
      audioSec,
      endMs,
      latencyMs,
      uncorrectedMs: end - t0,
      ttfsMs: t.firstTextAt === undefined ? undefined : t.firstTextAt - t0,
      afterAudioMs: t.sentAt === undefined ? undefined : end - t.sentAt,
      rtf: audioSec !== undefined && audioSec > 0 ? latencyMs / 1000 / audioSec : undefined,
      status: 'OK',
      error: '',
      answer: { transcript: t.transcript, speakers: t.speakers, stagesMs: t.stagesMs, engine: t.engine },
      segments: t.segments,
      ...scoreWer(rec.reference, t.transcript),
      ...scoreDer(rec.rttm, t.turns),
    };
  } catch (err: unknown) {
    if (err instanceof HttpCallError) return failed(err.status, err.message);
    return failed('CLIENT_ERROR', err instanceof Error ? err.message : String(err));
  }
}

/** A field of a JSON answer that must be there, or a failure naming it (a server of another kind). */
export function answerShapeError(what: string, body: string): HttpCallError {
  return new HttpCallError('INTERNAL', `the answer is not ${what}: ${body.slice(0, 200)}`);
}
