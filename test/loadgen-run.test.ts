import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { REPORT_CHARTS } from '../loadgen/src/output/html-report.js';
import { MetricRecorder, newHistogram, toUnits } from '../loadgen/src/metrics/histograms.js';
import { mergeHlogs } from '../loadgen/src/metrics/merge-hlog.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';

const quiet = () => {};

async function corpus(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-lg-corpus-'));
  await writeFile(join(dir, 'short.wav'), await speechFile('lg-short.wav', SENTENCES.balance, 'en-us+f2', WAV_16K));
  await writeFile(join(dir, 'short.txt'), SENTENCES.balance);
  await writeFile(join(dir, 'other.wav'), await speechFile('lg-other.wav', SENTENCES.refund, 'en-us+f3', WAV_16K));
  return dir;
}

type Row = Record<string, string>;
const rowsOf = async (runDir: string) =>
  parse(await readFile(join(runDir, 'requests.csv'), 'utf8'), { columns: true }) as Row[];

describe('loadgen run against the real stack', () => {
  let stack: Stack;
  let source: string;
  before(async () => {
    stack = await startStack({ workers: 1 });
    source = await corpus();
  });
  after(() => stack.stop());

  it('writes one CSV row per request issued, even when the target dies mid-run', async () => {
    const doomed = await startStack({ workers: 1 });
    const out = mkdtempSync(join(tmpdir(), 'callscribe-lg-out-'));
    // No preflight probe: the kill is timed from the first request, and this test is about rows.
    const config = defaultRunConfig({
      source,
      target: doomed.gateway.address,
      concurrency: 2,
      count: 14,
      out,
      runId: 'killed',
      preflight: false,
    });
    const killer = setTimeout(() => void doomed.gateway.stop(0), 2500);
    try {
      const result = await runLoadTest(config, quiet);
      const rows = await rowsOf(result.runDir);
      assert.equal(result.requestsIssued, 14);
      assert.equal(rows.length, result.requestsIssued, 'every request issued has its row');
      assert.equal(result.csvRows, rows.length);
      const ok = rows.filter((r) => r['status'] === 'OK');
      const failed = rows.filter((r) => r['status'] !== 'OK');
      assert.ok(ok.length >= 1, 'some requests completed before the kill');
      assert.ok(failed.length >= 1, 'requests after the kill failed');
      for (const r of failed) {
        assert.match(r['status'] as string, /UNAVAILABLE|CANCELLED|INTERNAL/);
        assert.ok((r['error'] as string).length > 0, 'the error message is in the row');
      }
      assert.equal(result.summaries[0]?.errors, failed.length);
    } finally {
      clearTimeout(killer);
      await doomed.stop();
    }
  });

  it('measures open-loop latency from the intended start: queueing shows, uncorrected latency hides it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'callscribe-lg-out-'));
    // 8 requests due at 8/s, at most one in flight: each waits for the one before it.
    const config = defaultRunConfig({
      source,
      target: stack.gateway.address,
      rate: 8,
      arrival: 'constant',
      count: 8,
      maxInFlight: 1,
      out,
      runId: 'co',
    });
    const result = await runLoadTest(config, quiet);
    const rows = (await rowsOf(result.runDir)).sort((a, b) => Number(a['index']) - Number(b['index']));
    assert.equal(rows.length, 8);
    const latency = rows.map((r) => Number(r['latency_ms']));
    const uncorrected = rows.map((r) => Number(r['latency_uncorrected_ms']));
    assert.ok(
      (latency[7] as number) > (latency[0] as number) + 1000,
      `intended-start latency grows: ${latency.map((x) => x.toFixed(0)).join(', ')}`,
    );
    assert.ok(
      Math.max(...uncorrected) < 2 * Math.min(...uncorrected) + 200,
      `uncorrected latency stays flat: ${uncorrected.map((x) => x.toFixed(0)).join(', ')}`,
    );
    const s = result.summaries[0];
    assert.ok(s !== undefined && s.latency.p99 > 2 * s.uncorrected.p99, 'the summary keeps the two apart');
  });

  it('runs from the CLI and writes CSVs, hlogs, config and a self-contained HTML report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'callscribe-lg-cli-'));
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      source,
      '--target',
      stack.gateway.address,
      '--sweep',
      '1,2',
      '--count',
      '2',
      '--warmup',
      '1',
      '--out',
      out,
      '--run-id',
      'cli',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /level\s+reqs\s+err\s+req\/s/);
    assert.match(r.stdout, /report: .*report\.html/);
    const files = await readdir(join(out, 'cli'));
    for (const f of [
      'requests.csv',
      'summary.csv',
      'summary.json',
      'metrics.prom',
      'config.json',
      'report.html',
      'server-stats.csv',
      'c1-latency.hlog',
      'c2-latency_uncorrected.hlog',
      'c2-rtf.hlog',
    ])
      assert.ok(files.includes(f), `${f} missing`);
    const rows = await rowsOf(join(out, 'cli'));
    assert.equal(rows.length, 6, '2 levels x (1 warm-up + 2 measured)');
    assert.equal(rows.filter((x) => x['phase'] === 'warmup').length, 2);
    assert.ok(
      rows.some((x) => x['wer'] !== ''),
      'WER where a .txt sits beside the audio',
    );
    const summary = parse(await readFile(join(out, 'cli', 'summary.csv'), 'utf8'), { columns: true }) as Row[];
    assert.deepEqual(
      summary.map((x) => [x['level'], x['requests']]),
      [
        ['c1', '2'],
        ['c2', '2'],
      ],
    );
    assert.match(summary[0]?.['gpu_note'] ?? '', /no GPU/);
    const html = await readFile(join(out, 'cli', 'report.html'), 'utf8');
    // Two requests a level have no p99: the saturation chart says so instead of plotting maxima.
    assert.equal((html.match(/<svg /g) ?? []).length, REPORT_CHARTS.length - 1);
    assert.match(html, /<figure data-chart="saturation" class="hidden-chart"><p>Saturation chart[^<]*not drawn/);
    assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'self-contained: no scripts, no external assets');
    const bad = await runBinary(BIN.loadgen, ['run', '--source', source, '--sweep', '1,x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--sweep takes positive numbers/);
  });
});

describe('loadgen with diarization', () => {
  it('records the speaker count and DER where an .rttm sits beside the audio', async () => {
    const { twoSpeakerDialogue } = await import('./support/dialogue.js');
    const { toRttm } = await import('#dev/corpus/build-call.js');
    const stack = await startStack({ workers: 2 });
    try {
      const call = await twoSpeakerDialogue();
      const dir = mkdtempSync(join(tmpdir(), 'callscribe-lg-diar-'));
      for (const [name, audio] of [
        ['stereo', call.stereo],
        ['mono', call.mono],
      ] as const) {
        await writeFile(join(dir, `${name}.wav`), audio);
        await writeFile(join(dir, `${name}.rttm`), toRttm(name, call.turns));
      }
      const out = mkdtempSync(join(tmpdir(), 'callscribe-lg-out-'));
      const result = await runLoadTest(
        defaultRunConfig({
          source: dir,
          target: stack.gateway.address,
          concurrency: 2,
          diarization: 'auto',
          out,
          runId: 'diar',
        }),
        quiet,
      );
      const rows = await rowsOf(result.runDir);
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.equal(r['status'], 'OK', r['error']);
        assert.equal(r['diarization'], 'auto');
        assert.equal(r['speakers'], '2');
        assert.ok(r['der'] !== '' && Number(r['der']) <= 0.25, `${r['file']}: DER ${r['der']}`);
      }
      assert.ok(result.summaries[0]?.der !== undefined);
    } finally {
      await stack.stop();
    }
  });
});

describe('HdrHistogram interval logs', () => {
  it('merging two .hlog files gives the histogram of all samples', async () => {
    const a = mkdtempSync(join(tmpdir(), 'callscribe-hlog-a-'));
    const b = mkdtempSync(join(tmpdir(), 'callscribe-hlog-b-'));
    const ra = new MetricRecorder(a, '', Date.now(), 50);
    const rb = new MetricRecorder(b, '', Date.now(), 50);
    const all = newHistogram();
    let seed = 3;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 4000; i++) {
      const ms = 5 + next() ** 3 * 20_000;
      (i % 3 === 0 ? ra : rb).record('latency', ms);
      all.recordValue(toUnits('latency', ms));
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 60)); // several intervals per log
    }
    await ra.close();
    await rb.close();
    const merged = await mergeHlogs([join(a, 'latency.hlog'), join(b, 'latency.hlog')]);
    assert.equal(merged.totalCount, 4000);
    for (const p of [0, 10, 50, 90, 99, 99.9, 100])
      assert.equal(merged.getValueAtPercentile(p), all.getValueAtPercentile(p), `p${p}`);
    const lines = (await readFile(join(a, 'latency.hlog'), 'utf8')).split('\n').filter((l) => /^\d/.test(l));
    assert.ok(lines.length >= 3, 'one line per interval');
  });
});
