import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { DiarizationMode } from '../../gen/callscribe/v1/audio.js';
import { GatewayClient } from '../../gen/callscribe/v1/gateway.js';
import type { RunConfig } from './config.js';
import { MetricRecorder } from './metrics/histograms.js';
import { renderReport, REPORT_PERCENTILES, type ReportLevel } from './output/html-report.js';
import { RequestCsv } from './output/request-csv.js';
import { summarize, summaryCsv, terminalTable, type LevelSummary } from './output/summary.js';
import { runLevel } from './run/level-runner.js';
import type { RequestResult } from './run/request-result.js';
import { describeSchedule, type Schedule } from './run/schedule.js';
import { sendRecording } from './run/send-request.js';
import { StatsSampler } from './run/stats-sampler.js';
import { readFolder } from './source/local-source.js';
import type { Recording } from './source/recording.js';
import { createS3Client, parseS3Url } from './source/s3-client.js';
import { syncS3 } from './source/s3-source.js';

const DIARIZATION = { none: DiarizationMode.NONE, channels: DiarizationMode.CHANNELS, cluster: DiarizationMode.CLUSTER, auto: DiarizationMode.AUTO };

export interface LoadTestResult {
  runDir: string;
  summaries: LevelSummary[];
  requestsIssued: number;
  /** Per level, how late each open-loop request was launched against its schedule (ms). */
  latenessMs: number[][];
  /** Most requests in flight at once, per level. */
  peakInFlight: number[];
  csvRows: number;
  sourceFailures: string[];
}

async function loadRecordings(c: RunConfig, log: (m: string) => void): Promise<{ recordings: Recording[]; failures: string[] }> {
  if (c.source.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Url(c.source);
    const s3 = createS3Client({ endpoint: c.s3Endpoint, region: c.s3Region, forcePathStyle: c.s3PathStyle, maxAttempts: 4 });
    try {
      const r = await syncS3(s3, { bucket, prefix, extensions: c.extensions, cacheDir: c.cacheDir, downloadConcurrency: c.downloadConcurrency, pageSize: c.s3PageSize });
      const failures = r.outcomes.filter((o) => o.state === 'failed').map((o) => `${o.key}: ${o.error}`);
      for (const f of failures) log(`skipped ${f}`);
      return { recordings: r.recordings, failures };
    } finally {
      s3.destroy();
    }
  }
  return { recordings: await readFolder(c.source, c.extensions), failures: [] };
}

/** Source → levels → measurements → results/<run-id>/ (CSV, .hlog, config, HTML report). */
export async function runLoadTest(c: RunConfig, log: (m: string) => void = (m) => process.stderr.write(m + '\n'), signal = new AbortController().signal): Promise<LoadTestResult> {
  const { recordings, failures } = await loadRecordings(c, log);
  if (recordings.length === 0) throw new Error(`no audio files (${c.extensions.join(', ')}) found in ${c.source}`);
  const runDir = resolve(c.out, c.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'config.json'), JSON.stringify({ ...c, recordings: recordings.length, sourceFailures: failures }, null, 2) + '\n');
  const audioCache = new Map<string, Promise<Buffer>>();
  const load = (r: Recording) => {
    let p = audioCache.get(r.path);
    if (p === undefined) {
      p = readFile(r.path);
      audioCache.set(r.path, p);
    }
    return p;
  };

  const client = new GatewayClient(c.target, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const sampler = new StatsSampler(client, join(runDir, 'server-stats.csv'), c.statsIntervalMs);
  const csv = new RequestCsv(join(runDir, 'requests.csv'), c.diarization);
  const levels = c.sweep.length > 0 ? c.sweep.map(Number) : [c.rate > 0 ? c.rate : c.concurrency];
  const summaries: LevelSummary[] = [];
  const reportLevels: ReportLevel[] = [];
  let issued = 0;
  const latenessMs: number[][] = [];
  const peakInFlight: number[] = [];
  sampler.start();
  try {
    for (const value of levels) {
      const schedule: Schedule = c.rate > 0 ? { kind: 'open', ratePerSec: value, arrival: c.arrival, maxInFlight: c.maxInFlight } : { kind: 'closed', concurrency: value };
      const name = c.rate > 0 ? `rate${value}` : `c${value}`;
      const metrics = new MetricRecorder(runDir, `${name}-`);
      const results: RequestResult[] = [];
      const tty = process.stderr.isTTY === true;
      let lastProgress = 0;
      const progress = (final = false) => {
        const done = results.length;
        const errors = results.filter((r) => r.status !== 'OK').length;
        const line = `${name} (${describeSchedule(schedule)}): ${done} done, ${errors} errors, p50 ${metrics.percentile('latency', 50).toFixed(0)} ms, p99 ${metrics.percentile('latency', 99).toFixed(0)} ms`;
        if (tty) process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
        else if (final || Date.now() - lastProgress > 5000) {
          lastProgress = Date.now();
          log(line);
        }
      };
      const run = await runLevel({
        recordings,
        schedule,
        stop: { ...(c.count > 0 ? { count: c.count } : {}), ...(c.durationSec > 0 ? { durationMs: c.durationSec * 1000 } : {}), passes: c.passes },
        warmup: c.warmup,
        seed: c.seed,
        signal,
        launch: async (rec, intendedStartMs, index, warmup) => {
          let r: RequestResult;
          try {
            r = await sendRecording(rec, await load(rec), intendedStartMs, name, index, warmup, {
              client,
              config: { language: c.language, diarization: DIARIZATION[c.diarization] },
              chunkBytes: c.chunkBytes,
              deadlineMs: c.deadlineMs,
              pace: c.pace,
            });
          } catch (err: unknown) {
            // A file that cannot even be read is still a row: nothing is dropped silently.
            r = { level: name, index, warmup, file: rec.name, bytes: 0, audioSec: undefined, channels: undefined, intendedStartMs, startMs: Date.now(), endMs: Date.now(), latencyMs: 0, uncorrectedMs: 0, ttfsMs: undefined, afterAudioMs: undefined, rtf: undefined, status: 'CLIENT_ERROR', error: String(err), final: undefined, segments: 0, wer: undefined, werRefWords: 0, der: undefined, derScoredSec: 0, gpuMean: undefined, gpuMax: undefined };
          }
          const gpu = sampler.gpuOver(r.startMs, r.endMs);
          if (gpu !== undefined) {
            r.gpuMean = gpu.mean;
            r.gpuMax = gpu.max;
          }
          if (!r.warmup && r.status === 'OK') {
            metrics.record('latency', r.latencyMs);
            metrics.record('latency_uncorrected', r.uncorrectedMs);
            if (r.ttfsMs !== undefined) metrics.record('ttfs', r.ttfsMs);
            if (r.afterAudioMs !== undefined) metrics.record('after_audio_ms', r.afterAudioMs);
            if (r.rtf !== undefined) metrics.record('rtf', r.rtf);
          }
          csv.write(r);
          results.push(r);
          progress();
        },
      });
      issued += run.issued;
      latenessMs.push(run.latenessMs);
      peakInFlight.push(Math.max(0, ...run.timeline.map((t) => t.inFlight)));
      progress(true);
      await metrics.close();
      const summary = summarize(name, describeSchedule(schedule), run, results, metrics, sampler.gpuNote);
      summaries.push(summary);
      reportLevels.push({ summary, percentiles: REPORT_PERCENTILES.map((p) => [p, metrics.percentile('latency', p)]), timeline: run.timeline, startMs: run.startMs });
      if (signal.aborted) break;
    }
  } finally {
    await sampler.stop();
    await csv.close();
    client.close();
  }
  await writeFile(join(runDir, 'summary.csv'), summaryCsv(summaries));
  await writeFile(join(runDir, 'report.html'), renderReport(`callscribe load test ${c.runId}`, c, reportLevels, sampler.samples, sampler.gpuNote));
  return { runDir, summaries, requestsIssued: issued, latenessMs, peakInFlight, csvRows: csv.rows, sourceFailures: failures };
}

export { terminalTable };
