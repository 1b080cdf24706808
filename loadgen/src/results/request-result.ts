import type { FinalResult } from '#gen/callscribe/v1/transcript.js';

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
  segments: number;
  wer: number | undefined;
  /** Diarization error rate against <name>.rttm (collar 0.25 s), with the seconds it scored. */
  der: number | undefined;
  derScoredSec: number;
  /** Words in the reference, to weight WER across files. */
  werRefWords: number;
  gpuMean: number | undefined;
  gpuMax: number | undefined;
}
