import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultRunConfig, runOptions } from '../loadgen/src/config.js';
import { parseThreshold } from '../loadgen/src/gate/thresholds.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { OptionError, parseOptions } from '#common/options.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';

const quiet = () => {};

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function speechCorpus(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-gate-corpus-'));
  await writeFile(
    join(dir, 'balance.wav'),
    await speechFile('gate-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
  );
  await writeFile(join(dir, 'balance.txt'), SENTENCES.balance);
  return dir;
}

async function junkCorpus(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-gate-junk-'));
  for (let i = 0; i < 3; i++) await writeFile(join(dir, `junk-${i}.wav`), Buffer.from('JUNK'.repeat(1000)));
  return dir;
}

/** Parses Prometheus text format into name{labels} → value. */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `not an exposition line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('thresholds and repeatable flags', () => {
  it('parses k6-style expressions and rejects what it cannot check', () => {
    assert.deepEqual(parseThreshold('latency.p99<30000'), {
      expression: 'latency.p99<30000',
      metric: 'latency',
      stat: 'p99',
      op: '<',
      value: 30000,
    });
    assert.equal(parseThreshold('latency.p99.9 <= 5').stat, 'p99.9');
    assert.equal(parseThreshold('wer<0.25').metric, 'wer');
    assert.equal(parseThreshold('errors.rate<0.01').stat, 'rate');
    for (const bad of ['latency<5', 'latency.p101<5', 'speed.p99<1', 'wer', 'errors.rate<abc', 'rtf.p50 ~ 1'])
      assert.throws(() => parseThreshold(bad), OptionError, bad);
  });

  it('collects every --threshold given, in order', () => {
    const args = parseOptions(runOptions, ['--source', 'x', '--threshold', 'rtf.p50<0.1', '--threshold=wer<0.25'], {});
    assert.deepEqual(
      args.values.thresholds.map((t) => t.expression),
      ['rtf.p50<0.1', 'wer<0.25'],
    );
    assert.deepEqual(parseOptions(runOptions, ['--source', 'x'], {}).values.thresholds, []);
  });
});

describe('preflight: a dead or wrong target stops the run in seconds', () => {
  let stack: Stack;
  let source: string;
  before(async () => {
    stack = await startStack({ workers: 1 });
    source = await speechCorpus();
  });
  after(() => stack.stop());

  it('exits 2 with a hint when nothing listens at --target, and writes no results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'callscribe-gate-dead-'));
    const t0 = Date.now();
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      source,
      '--target',
      `127.0.0.1:${await deadPort()}`,
      '--out',
      out,
      '--run-id',
      'dead',
      '--preflight-timeout-ms',
      '2000',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    assert.match(r.stderr, /is the gateway running\? check --target/);
    assert.ok(!existsSync(join(out, 'dead')), 'no results folder for a run that never started');
  });

  it('exits 2 when --target is a gRPC server that is not the gateway (the transcriber)', async () => {
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      source,
      '--target',
      stack.transcriber.address,
      '--out',
      mkdtempSync(join(tmpdir(), 'callscribe-gate-wrong-')),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /UNIMPLEMENTED.*is --target the gateway/);
  });

  it('exits 2 when the probe recording cannot be decoded', async () => {
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      await junkCorpus(),
      '--target',
      stack.gateway.address,
      '--out',
      mkdtempSync(join(tmpdir(), 'callscribe-gate-junk-')),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /INVALID_ARGUMENT.*check the audio in --source/);
  });

  it('stops a run whose requests mostly fail (abort rule), skipping the later levels', async () => {
    const out = mkdtempSync(join(tmpdir(), 'callscribe-gate-abort-'));
    const config = defaultRunConfig({
      source: await junkCorpus(),
      target: stack.gateway.address,
      sweep: ['1', '2'],
      count: 200,
      abortMinRequests: 5,
      abortErrorRate: 0.5,
      preflight: false,
      out,
      runId: 'abort',
    });
    const result = await runLoadTest(config, quiet);
    assert.equal(result.summaries.length, 1, 'the second level never ran');
    assert.ok(result.requestsIssued >= 5 && result.requestsIssued <= 7, `issued ${result.requestsIssued}`);
    assert.match(result.aborted ?? '', /c1: 5 of 5 requests failed/);
    assert.equal(result.exitCode, 1);
    const json = JSON.parse(await readFile(join(result.runDir, 'summary.json'), 'utf8')) as {
      aborted: string;
      levels: Array<{ aborted: string }>;
    };
    assert.match(json.aborted, /abort-error-rate/);
  });

  it('backs off while the target is down instead of failing at full speed', async () => {
    const down = await startStack({ workers: 1 });
    await down.transcriber.stop(0); // the gateway stays up and answers UNAVAILABLE
    try {
      const failures = async (backoffMaxMs: number) => {
        const out = mkdtempSync(join(tmpdir(), 'callscribe-gate-backoff-'));
        const config = defaultRunConfig({
          source,
          target: down.gateway.address,
          concurrency: 2,
          durationSec: 3,
          abortErrorRate: 1,
          backoffMaxMs,
          preflight: false,
          out,
          runId: `b${backoffMaxMs}`,
        });
        const r = await runLoadTest(config, quiet);
        assert.ok(r.summaries[0]?.errorKinds.startsWith('UNAVAILABLE'), r.summaries[0]?.errorKinds);
        return r.requestsIssued;
      };
      const withBackoff = await failures(2000);
      const fullSpeed = await failures(0);
      // Two callers doubling from 100 ms (jittered 50-100%) fit at most ~8 tries each into 3 s.
      assert.ok(withBackoff <= 20, `with back-off: ${withBackoff} failed requests in 3 s`);
      assert.ok(fullSpeed > 3 * withBackoff, `without: ${fullSpeed}, with: ${withBackoff}`);
    } finally {
      down.gatewayClient.close();
      down.transcriberClient.close();
      await down.gateway.stop(1000);
    }
  });

  it('gates on thresholds (exit 99), writes summary.json and metrics.prom, and pushes to a Pushgateway', async () => {
    const received: Array<{ method: string; url: string; type: string; body: string }> = [];
    const gateway = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    try {
      const out = mkdtempSync(join(tmpdir(), 'callscribe-gate-thr-'));
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const r = await runBinary(BIN.loadgen, [
        'run',
        '--source',
        source,
        '--target',
        stack.gateway.address,
        '--count',
        '2',
        '--concurrency',
        '1',
        '--out',
        out,
        '--run-id',
        'thr',
        '--pushgateway',
        url,
        '--threshold',
        'latency.p99<1',
        '--threshold',
        'errors.rate<0.01',
        '--threshold',
        'wer<1.5',
      ]);
      assert.equal(r.code, 99, r.stderr);
      assert.match(r.stdout, /FAIL\s+c1\s+latency\.p99<1\s+\(measured \d+/);
      assert.match(r.stdout, /pass\s+c1\s+errors\.rate<0\.01\s+\(measured 0\)/);
      assert.match(r.stdout, /pass\s+c1\s+wer<1\.5/);
      const json = JSON.parse(await readFile(join(out, 'thr', 'summary.json'), 'utf8')) as {
        exitCode: number;
        engine: { backend: string };
        versions: Record<string, string>;
        machine: { cpus: number };
        sweep: string;
        thresholds: { passed: boolean; results: Array<{ expression: string; passed: boolean }> };
        levels: Array<{
          level: string;
          requests: number;
          latencyMs: { p99: number };
          serverStagesMeanMs: Record<string, number>;
          note: string;
          thresholds: unknown[];
        }>;
      };
      assert.equal(json.exitCode, 99);
      assert.equal(json.engine.backend, 'sphinx');
      assert.ok(json.machine.cpus > 0 && json.versions['node'] === process.versions.node);
      assert.match(json.sweep, /closed loop, concurrency 1/);
      assert.equal(json.thresholds.passed, false);
      assert.deepEqual(
        json.thresholds.results.map((t) => [t.expression, t.passed]),
        [
          ['latency.p99<1', false],
          ['errors.rate<0.01', true],
          ['wer<1.5', true],
        ],
      );
      const level = json.levels[0];
      assert.equal(level?.requests, 2);
      assert.ok((level?.serverStagesMeanMs['asr'] ?? 0) > 0, 'the server stage breakdown is kept');
      assert.match(level?.note ?? '', /2 successful requests: p99 and above are the max/);
      const summaryCsv = await readFile(join(out, 'thr', 'summary.csv'), 'utf8');
      assert.match(summaryCsv, /latency\.p99<1/, 'failed thresholds are in summary.csv too');

      const prom = parseProm(await readFile(join(out, 'thr', 'metrics.prom'), 'utf8'));
      const p99 = prom.get('callscribe_loadgen_latency_seconds{run_id="thr",level="c1",quantile="0.99"}');
      assert.ok(p99 !== undefined && Math.abs(p99 * 1000 - (level?.latencyMs.p99 ?? 0)) < 1e-6, `p99 ${p99}`);
      assert.equal(prom.get('callscribe_loadgen_requests{run_id="thr",level="c1"}'), 2);
      assert.equal(
        prom.get('callscribe_loadgen_threshold_passed{run_id="thr",level="c1",threshold="latency.p99<1"}'),
        0,
      );
      assert.ok((prom.get('callscribe_loadgen_server_stage_seconds{run_id="thr",level="c1",stage="asr"}') ?? 0) > 0);

      assert.equal(received.length, 1);
      const push = received[0];
      assert.equal(push?.method, 'PUT');
      assert.equal(push?.url, '/metrics/job/callscribe_loadgen/run_id/thr');
      assert.match(push?.type ?? '', /^text\/plain; version=0\.0\.4/);
      assert.deepEqual(parseProm(push?.body ?? ''), prom, 'the push carries metrics.prom');
    } finally {
      gateway.close();
    }
  });
});
