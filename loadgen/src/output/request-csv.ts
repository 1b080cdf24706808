import { createWriteStream } from 'node:fs';
import { stringify, type Stringifier } from 'csv-stringify';
import type { RequestSink } from '../results/level-sinks.js';
import { serverStages } from '../results/level-summary.js';
import type { RequestResult } from '../results/request-result.js';

const COLUMNS = [
  'level',
  'index',
  'phase',
  'file',
  'bytes',
  'audio_sec',
  'channels',
  'diarization',
  'intended_start_ms',
  'start_ms',
  'latency_ms',
  'latency_uncorrected_ms',
  'ttfs_ms',
  'after_audio_ms',
  'rtf',
  'status',
  'error',
  'server_decode_ms',
  'server_vad_ms',
  'server_queue_ms',
  'server_asr_ms',
  'server_total_ms',
  'speech_sec',
  'chunks',
  'segments',
  'speakers',
  'der',
  'gpu_util_mean',
  'gpu_util_max',
  'wer',
  'transcript',
];

const num = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));

/** One row per request, written the moment it completes, so a killed run keeps every row it had. */
export class RequestCsv implements RequestSink {
  private readonly csv: Stringifier;
  private readonly finished: Promise<void>;
  rows = 0;

  constructor(
    path: string,
    private readonly diarization: string,
  ) {
    this.csv = stringify({ header: true, columns: COLUMNS });
    const file = createWriteStream(path);
    this.csv.pipe(file);
    this.finished = new Promise((resolve, reject) => {
      file.on('finish', () => resolve());
      file.on('error', reject);
    });
  }

  write(r: RequestResult): void {
    const f = r.final;
    // Empty where the protocol does not report a stage: not measured, not 0.
    const t = serverStages(r);
    this.csv.write([
      r.level,
      r.index,
      r.warmup ? 'warmup' : 'measured',
      r.file,
      r.bytes,
      num(r.audioSec),
      r.channels ?? '',
      this.diarization,
      r.intendedStartMs,
      r.startMs,
      num(r.latencyMs),
      num(r.uncorrectedMs),
      num(r.ttfsMs),
      num(r.afterAudioMs),
      num(r.rtf, 4),
      r.status,
      r.error,
      num(t?.decode),
      num(t?.vad),
      num(t?.queue),
      num(t?.asr),
      num(t?.total),
      num(f?.speechSec),
      f?.chunkCount ?? '',
      r.segments ?? '',
      f?.speakers.length ?? r.answer?.speakers ?? '',
      num(r.der, 4),
      num(r.gpuMean, 1),
      num(r.gpuMax, 1),
      num(r.wer, 4),
      f?.transcript ?? r.answer?.transcript ?? '',
    ]);
    this.rows++;
  }

  async close(): Promise<void> {
    this.csv.end();
    await this.finished;
  }
}
