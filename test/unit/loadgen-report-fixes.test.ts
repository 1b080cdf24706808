import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EChartsOption } from 'echarts';
import { evaluateThresholds, formatThresholdResult, parseThreshold } from '../../loadgen/src/gate/thresholds.js';
import { levelMeasures } from '../../loadgen/src/gate/level-measures.js';
import { MetricRecorder, METRIC_NAMES } from '../../loadgen/src/metrics/histograms.js';
import { renderReport } from '../../loadgen/src/output/html-report.js';
import {
  hiddenReason,
  latencyChart,
  saturationChart,
  stagesChart,
  ttfsChart,
} from '../../loadgen/src/output/report/report-charts.js';
import { summaryCsv, terminalTable } from '../../loadgen/src/output/summary-table.js';
import { costPerAudioHour, summarize } from '../../loadgen/src/results/level-summary.js';
import {
  formatMeasure,
  formatPercentile,
  formatWer,
  NOT_MEASURED,
  samplesForPercentile,
} from '../../loadgen/src/results/measure-format.js';
import type { MeasuredLevel } from '../../loadgen/src/results/measured-level.js';
import type { RequestResult, StageTimes } from '../../loadgen/src/results/request-result.js';

const dir = mkdtempSync(join(tmpdir(), 'callscribe-report-unit-'));

interface LevelShape {
  requests: number;
  ttfs?: boolean;
  stages?: StageTimes;
  /** Files whose requests have a reference (a WER); the others have none. */
  referenced?: (file: string) => boolean;
  files?: number;
}

/** A level of `requests` successful requests, summarised by the real summarize(). */
async function level(name: string, s: LevelShape): Promise<MeasuredLevel> {
  const metrics = new MetricRecorder(dir, `${name}-`, 0, 60_000);
  const results: RequestResult[] = [];
  for (let i = 0; i < s.requests; i++) {
    const file = `call${i % (s.files ?? 4)}.wav`;
    const latencyMs = 1000 + i * 10;
    const hasRef = s.referenced?.(file) ?? true;
    const r: RequestResult = {
      level: name,
      index: i,
      warmup: false,
      file,
      bytes: 1000,
      audioSec: 10,
      channels: 1,
      intendedStartMs: i * 100,
      startMs: i * 100,
      endMs: i * 100 + latencyMs,
      latencyMs,
      uncorrectedMs: latencyMs,
      ttfsMs: s.ttfs === false ? undefined : 200,
      afterAudioMs: 50,
      rtf: latencyMs / 10_000,
      status: 'OK',
      error: '',
      final: undefined,
      ...(s.stages === undefined
        ? {}
        : { answer: { transcript: 'hello', speakers: undefined, stagesMs: s.stages, engine: undefined } }),
      segments: 1,
      wer: hasRef ? 0.1 : undefined,
      werRefWords: hasRef ? 10 : 0,
      der: undefined,
      derScoredSec: 0,
      gpuMean: undefined,
      gpuMax: undefined,
    };
    results.push(r);
    metrics.record('latency', r.latencyMs);
    metrics.record('latency_uncorrected', r.uncorrectedMs);
    if (r.ttfsMs !== undefined) metrics.record('ttfs', r.ttfsMs);
    metrics.record('rtf', r.rtf as number);
  }
  await metrics.close();
  const run = { startMs: 0, endMs: s.requests * 100 + 2000, issued: s.requests, latenessMs: [], timeline: [] };
  const summary = summarize(name, `concurrency ${name}`, run, results, metrics, 'no GPU');
  const curves = Object.fromEntries(
    METRIC_NAMES.map((m) => [
      m,
      metrics.count(m) === 0 ? [] : [0, 50, 99, 100].map((p) => [p, metrics.percentile(m, p)]),
    ]),
  ) as MeasuredLevel['curves'];
  return { name, run, summary, metrics, curves, failures: [], engine: undefined };
}

const run = (protocol = 'grpc') => ({
  runId: 'unit',
  startedAt: '2026-12-01T00:00:00Z',
  finishedAt: '2026-12-01T00:01:00Z',
  target: '127.0.0.1:1',
  protocol,
  costPerHourUsd: 2.49,
  source: './calls',
  sweep: 'closed loop',
  exitCode: 0,
  aborted: undefined,
  config: { concurrency: 4, apiKey: '(set)' },
});
const identity = {
  engine: undefined,
  machine: { hostname: 'h', cpus: 2, cpuModel: 'cpu', memoryBytes: 2 ** 30, platform: 'linux', release: '6' },
  versions: { loadgen: '1' },
};

describe('loadgen numbers as people read them', () => {
  it('prints a high percentile as a percentile only with enough samples, else as the max of N', () => {
    assert.equal(samplesForPercentile(99), 100);
    assert.equal(samplesForPercentile(99.9), 1000);
    assert.equal(samplesForPercentile(90), 10);
    assert.equal(formatPercentile('latency', 99, 1234.4, 12), '1234 (max of 12)');
    assert.equal(formatPercentile('latency', 99, 1234.4, 100), '1234');
    assert.equal(formatPercentile('latency', 99.9, 1234.4, 100), '1234 (max of 100)');
    assert.equal(formatPercentile('ttfs', 99, Number.NaN, 500), NOT_MEASURED);
  });

  it('says "not measured" for what was not measured, never 0', () => {
    assert.equal(formatMeasure('ttfs', undefined), NOT_MEASURED);
    assert.equal(formatMeasure('ttfs', Number.NaN), NOT_MEASURED);
    assert.equal(formatMeasure('ttfs', 0), '0');
    assert.equal(formatMeasure('wer', 0.0812), '8.1%');
    assert.equal(formatMeasure('rtf', 0.12345), '0.123');
  });

  it('says how many recordings had a reference', () => {
    assert.equal(formatWer(0.0812, { scored: 12, of: 20 }), '8.1% over 12 of 20 recordings');
    assert.equal(formatWer(undefined, { scored: 0, of: 20 }), 'no reference (0 of 20 recordings)');
  });

  it("prints a threshold's measured value with the table's own formatting", async () => {
    const l = await level('c1', { requests: 5 });
    const results = evaluateThresholds(
      [parseThreshold('wer<0.05'), parseThreshold('latency.p50<10')],
      levelMeasures(l),
    );
    const lines = results.map(formatThresholdResult);
    assert.match(lines[0] as string, /\(measured 10\.0%\)$/);
    assert.equal(formatMeasure('wer', l.summary.wer), '10.0%');
    assert.match(lines[1] as string, new RegExp(`\\(measured ${formatMeasure('latency', l.summary.latency.p50)}\\)$`));
    const html = renderReport({
      title: 't',
      run: run(),
      identity,
      levels: [l],
      stats: [],
      gpuNote: '',
      thresholds: results,
    });
    assert.match(html, /<td>wer&lt;0\.05<\/td><td>10\.0%<\/td>/);
  });

  it('costs an audio hour as the machine hour over the audio hours done per wall hour', async () => {
    assert.ok(Math.abs((costPerAudioHour(2.49, 10) as number) - 0.249) < 1e-12);
    assert.equal(costPerAudioHour(0, 10), undefined, 'no --cost-per-hour: not shown');
    assert.equal(costPerAudioHour(2.49, 0), undefined, 'no audio done: not infinite');
    const l = await level('c1', { requests: 5 });
    l.summary.costPerAudioHourUsd = costPerAudioHour(2.49, l.summary.rtfx);
    assert.ok(l.summary.costPerAudioHourUsd !== undefined);
    assert.match(terminalTable([l.summary]), /\$\/audio h/);
    const csv = summaryCsv([l.summary]);
    assert.match(csv, /cost_per_audio_hour_usd/);
    assert.ok(csv.includes((l.summary.costPerAudioHourUsd as number).toFixed(4)));
    const html = renderReport({
      title: 't',
      run: run(),
      identity,
      levels: [l],
      stats: [],
      gpuNote: '',
      thresholds: [],
    });
    assert.match(html, /USD per audio hour/);
    assert.match(html, /2\.49 USD per hour/);
  });
});

describe('the report', () => {
  it('hides the saturation chart below 100 successful requests a level, and leaves such levels off', async () => {
    const small = await level('c1', { requests: 12 });
    const hidden = saturationChart([small]);
    assert.match(hiddenReason(hidden) ?? '', /needs at least 100 successful requests.*as few as 12/);
    const big = await level('c2', { requests: 120 });
    const drawn = saturationChart([small, big]) as EChartsOption & { series: Array<{ data: Array<{ name: string }> }> };
    assert.equal(hiddenReason(drawn), undefined);
    assert.deepEqual(
      drawn.series[0]?.data.map((d) => d.name),
      ['c2'],
    );
    const html = renderReport({
      title: 't',
      run: run(),
      identity,
      levels: [small],
      stats: [],
      gpuNote: '',
      thresholds: [],
    });
    assert.match(html, /<figure data-chart="saturation" class="hidden-chart"><p>Saturation chart/);
    assert.match(html, /<td>\d+ \(max of 12\)<\/td>/, 'p99 of 12 requests is their max');
  });

  it('draws no stage that took no time, and says when the protocol reports none', async () => {
    const l = await level('c1', { requests: 3, stages: { decode: 12, asr: 300, vad: 0, queue: 0.01 } });
    const chart = stagesChart([l], 'whisperx-http') as { series: Array<{ name: string }> };
    assert.deepEqual(
      chart.series.map((s) => s.name),
      ['decode', 'asr'],
    );
    const none = await level('c1', { requests: 3 });
    assert.match(
      hiddenReason(stagesChart([none], 'openai')) ?? '',
      /not measured.*--protocol openai reports no stages/,
    );
    const noTtfs = await level('c1', { requests: 3, ttfs: false });
    assert.match(hiddenReason(ttfsChart([noTtfs], 'whisperx-http')) ?? '', /not measured/);
  });

  it('draws the uncorrected latency over the corrected one, so it shows where they agree', async () => {
    const l = await level('c1', { requests: 3 });
    const series = (latencyChart([l]) as { series: Array<{ name: string; z: number; lineStyle: { width: number } }> })
      .series;
    const corrected = series.find((s) => s.name === 'c1 from intended start');
    const uncorrected = series.find((s) => s.name === 'c1 from send');
    assert.ok(corrected !== undefined && uncorrected !== undefined);
    assert.ok(uncorrected.z > corrected.z, 'on top');
    assert.ok(uncorrected.lineStyle.width > corrected.lineStyle.width, 'wider, so both edges show');
  });

  it('says the WER is over N of M recordings, and collapses the configuration', async () => {
    const l = await level('c1', { requests: 8, files: 4, referenced: (f) => f !== 'call3.wav' });
    assert.deepEqual(l.summary.werRecordings, { scored: 3, of: 4 });
    const html = renderReport({
      title: 't',
      run: run(),
      identity,
      levels: [l],
      stats: [],
      gpuNote: '',
      thresholds: [],
    });
    assert.match(html, /<td>10\.0% over 3 of 4 recordings<\/td>/);
    assert.match(html, /<details><summary>Run configuration<\/summary><pre>[^<]*&quot;concurrency&quot;: 4/);
    assert.doesNotMatch(html, /<h2>Run configuration<\/h2>/);
  });

  it('shows what the protocol could not measure as "not measured"', async () => {
    const l = await level('c1', { requests: 3, ttfs: false });
    const html = renderReport({
      title: 't',
      run: run('openai'),
      identity,
      levels: [l],
      stats: [],
      gpuNote: '',
      thresholds: [],
    });
    assert.match(html, /<td>not measured<\/td><td>not measured<\/td>/, 'TTFS p50 and p99');
    assert.match(
      html,
      /<figure data-chart="server" class="hidden-chart"><p>GPU utilisation and transcriber queue: not measured/,
    );
    assert.match(terminalTable([l.summary]), /not measured/);
    assert.match(summaryCsv([l.summary]), /ttfs_p50_ms/);
  });
});
