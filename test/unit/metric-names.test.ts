import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServiceMetrics } from '#common/metrics.js';
import { FinalResult } from '#gen/callscribe/v1/transcript.js';
import { levelMeasures } from '../../loadgen/src/gate/level-measures.js';
import { evaluateThresholds, parseThreshold } from '../../loadgen/src/gate/thresholds.js';
import { MetricRecorder } from '../../loadgen/src/metrics/histograms.js';
import { prometheusRegistry } from '../../loadgen/src/output/prometheus-text.js';
import { runIdentity } from '../../loadgen/src/output/run-identity.js';
import { summarize } from '../../loadgen/src/results/level-summary.js';
import type { MeasuredLevel } from '../../loadgen/src/results/measured-level.js';
import type { RequestResult } from '../../loadgen/src/results/request-result.js';
import { Batcher } from '../../services/transcriber/src/engine/batcher.js';
import { WorkerPool } from '../../services/transcriber/src/engine/worker-pool.js';
import { createGpuReader } from '../../services/transcriber/src/gpu/gpu-stats.js';
import { addTranscriberMetrics } from '../../services/transcriber/src/transcriber-metrics.js';
import { promlint } from '../support/promlint.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const family = (type: string, name: string, samples: string[]) =>
  [`# HELP ${name} what it is`, `# TYPE ${name} ${type}`, ...samples].join('\n');

describe('promlint, as promtool check metrics runs it', () => {
  it('passes well-named families of every type', () => {
    const text = [
      family('counter', 'app_requests_total', ['app_requests_total{code="OK"} 3']),
      family('gauge', 'app_queue_depth', ['app_queue_depth 2']),
      family('gauge', 'app_memory_used_bytes', ['app_memory_used_bytes{gpu="0"} 1e9']),
      family('histogram', 'app_duration_seconds', [
        'app_duration_seconds_bucket{le="1"} 1',
        'app_duration_seconds_bucket{le="+Inf"} 1',
        'app_duration_seconds_sum 0.5',
        'app_duration_seconds_count 1',
      ]),
      family('summary', 'app_latency_seconds', [
        'app_latency_seconds{quantile="0.99"} 0.2',
        'app_latency_seconds_sum 0.3',
        'app_latency_seconds_count 2',
      ]),
    ].join('\n');
    assert.deepEqual(promlint(text), []);
  });

  it('flags what promtool flags', () => {
    const cases: Array<[string, string]> = [
      [family('gauge', 'app_handles_total', ['app_handles_total 1']), 'non-counter metrics should not have "_total"'],
      [family('counter', 'app_requests', ['app_requests 1']), 'counter metrics should have "_total" suffix'],
      [family('gauge', 'app_requests_count', ['app_requests_count 1']), 'should not have "_count" suffix'],
      [family('gauge', 'app_time_sum', ['app_time_sum 1']), 'should not have "_sum" suffix'],
      [family('gauge', 'app_time_bucket', ['app_time_bucket 1']), 'should not have "_bucket" suffix'],
      [family('gauge', 'app_latency_seconds', ['app_latency_seconds{quantile="0.5"} 1']), '"quantile" label'],
      [family('gauge', 'app_latency_seconds', ['app_latency_seconds{le="1"} 1']), '"le" label'],
      [family('gauge', 'app_latency_milliseconds', ['app_latency_milliseconds 1']), 'use base unit "seconds"'],
      [family('gauge', 'app_latency_ms', ['app_latency_ms 1']), 'abbreviated units'],
      [family('gauge', 'app_queue_gauge', ['app_queue_gauge 1']), "should not include type 'gauge'"],
      [family('gauge', 'app:queue', ['app:queue 1']), "should not contain ':'"],
      [family('gauge', 'appQueueDepth', ['appQueueDepth 1']), "'snake_case' not 'camelCase'"],
      [family('gauge', 'app_queue', ['app_queue{workerId="1"} 1']), "label names should be written in 'snake_case'"],
      ['# TYPE app_queue gauge\napp_queue 1', 'no help text'],
      ['app_queue{a="1" 1', 'not a sample line'],
    ];
    for (const [text, problem] of cases) {
      const problems = promlint(text);
      assert.ok(
        problems.some((p) => p.includes(problem)),
        `${JSON.stringify(text)}: expected "${problem}" in ${JSON.stringify(problems)}`,
      );
    }
  });
});

describe('exported metric names follow the Prometheus rules', () => {
  it('gateway: /metrics', async () => {
    const metrics = createServiceMetrics('gateway');
    metrics.callStarted('streamTranscribe');
    metrics.callFinished('streamTranscribe', 'OK', 0.2);
    metrics.httpRequestFinished('/asr/upload_file', 200, 0.3);
    assert.deepEqual(promlint(await metrics.registry.metrics()), []);
  });

  it('transcriber: /metrics', async () => {
    const metrics = createServiceMetrics('transcriber');
    // Real, unstarted engine objects: their counts are read at scrape time and start at zero.
    const pool = new WorkerPool(1, {
      pythonPath: '/usr/bin/python3',
      workerDir: '.',
      backend: 'sphinx',
      startTimeoutMs: 1,
    });
    const batcher = new Batcher(pool, { batchSize: 1, maxDelayMs: 0 });
    batcher.stats.batchSizes.set(2, 1);
    const transcriber = addTranscriberMetrics(metrics, {
      batcher,
      pools: [pool],
      readGpu: createGpuReader('/nonexistent/nvidia-smi', 0),
    });
    transcriber.requestFinished(FinalResult.fromPartial({ audioDurationSec: 10, speechSec: 6 }));
    metrics.callFinished('transcribe', 'OK', 1);
    const text = await metrics.registry.metrics();
    assert.match(text, /^callscribe_batches_total\{batch_size="2",service="transcriber"\} 1$/m);
    assert.deepEqual(promlint(text), []);
  });

  it('loadgen: metrics.prom and the Pushgateway body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-metric-names-'));
    dirs.push(dir);
    const metrics = new MetricRecorder(dir, 'c1-');
    const result = (latencyMs: number): RequestResult => ({
      level: 'c1',
      index: 0,
      warmup: false,
      file: 'a.wav',
      bytes: 32044,
      audioSec: 1,
      channels: 1,
      intendedStartMs: 1000,
      startMs: 1000,
      endMs: 1000 + latencyMs,
      latencyMs,
      uncorrectedMs: latencyMs,
      ttfsMs: latencyMs / 2,
      afterAudioMs: latencyMs / 3,
      rtf: latencyMs / 1000,
      status: 'OK',
      error: '',
      final: FinalResult.fromPartial({
        timings: { decodeMs: 1, vadMs: 2, queueMs: 3, asrMs: 40, alignMs: 0, diarizeMs: 5, assignMs: 1, totalMs: 52 },
        engine: { backend: 'sphinx', model: 'en-us', device: 'cpu', computeType: 'float32', batchSize: 1 },
      }),
      segments: 1,
      wer: 0.1,
      werRefWords: 10,
      der: 0.05,
      derScoredSec: 1,
      gpuMean: 40,
      gpuMax: 60,
    });
    const results = [result(200), result(400)];
    for (const r of results) {
      metrics.record('latency', r.latencyMs);
      metrics.record('latency_uncorrected', r.uncorrectedMs);
      metrics.record('ttfs', r.ttfsMs ?? 0);
      metrics.record('after_audio_ms', r.afterAudioMs ?? 0);
      metrics.record('rtf', r.rtf ?? 0);
    }
    await metrics.close();
    const run = { startMs: 1000, endMs: 1400, issued: 2, latenessMs: [], timeline: [] };
    const level: MeasuredLevel = {
      name: 'c1',
      run,
      summary: summarize('c1', 'closed loop, concurrency 1', run, results, metrics, ''),
      metrics,
      curves: { latency: [], latency_uncorrected: [], ttfs: [], after_audio_ms: [], rtf: [] },
      failures: [],
      engine: results[0]?.final?.engine,
    };
    level.summary.thresholds = evaluateThresholds([parseThreshold('latency.p99<1')], levelMeasures(level));
    const text = await prometheusRegistry('run-1', runIdentity(level.engine), [level]).metrics();
    for (const name of ['latency_seconds', 'rtf', 'server_stage_seconds', 'wer', 'der', 'gpu_utilization_ratio'])
      assert.match(text, new RegExp(`^# TYPE callscribe_loadgen_${name} `, 'm'), `${name} is exported`);
    assert.match(text, /^callscribe_loadgen_threshold_passed\{.*threshold="latency.p99<1"\} 0$/m);
    assert.deepEqual(promlint(text), []);
  });
});
