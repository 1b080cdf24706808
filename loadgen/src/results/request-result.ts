import type { EngineInfo, FinalResult } from '#gen/callscribe/v1/transcript.js';
import type { Stage } from './level-summary.js';

/** Server time per stage as a protocol reported it; a stage it does not report is absent, not 0. */
export type StageTimes = Partial<Record<Stage | 'total', number>>;

/**
 * What an HTTP protocol's answer said, where gRPC has `final`. Undefined means not measured: the
 * protocol has no such field (no speakers without diarization, no stages from OpenAI's API).
 */
export interface ProtocolAnswer {
  transcript: string;
  speakers: number | undefined;
  stagesMs: StageTimes;
  engine: EngineInfo | undefined;
}

/** Everything measured about one request: one CSV row, errors included. */
export interface RequestResult {
  level: string;
  index: number;
  warmup: boolean;
  file: string;
  bytes: number;
  audioSec: number | undefined;
  channels: number | undefined;
  intendedStartMs: number;
  startMs: number;
  endMs: number;
  /** From the intended start: what a caller waiting in the queue experiences. */
  latencyMs: number;
  /** From the moment the request was actually sent. */
  uncorrectedMs: number;
  ttfsMs: number | undefined;
  afterAudioMs: number | undefined;
  rtf: number | undefined;
  status: string;
  error: string;
  final: FinalResult | undefined;
  /** Set by the HTTP protocols (gRPC has `final`). */
  answer?: ProtocolAnswer;
  /** undefined when the answer has no segments to count (an OpenAI stream of text deltas). */
  segments: number | undefined;
  wer: number | undefined;
  /** Diarization error rate against <name>.rttm (collar 0.25 s), with the seconds it scored. */
  der: number | undefined;
  derScoredSec: number;
  /** Words in the reference, to weight WER across files. */
  werRefWords: number;
  gpuMean: number | undefined;
  gpuMax: number | undefined;
}
