import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultRunConfig, runOptions } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';

const quiet = () => {};
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

type Figures = Record<string, number | null>;
interface CompareDoc {
  schema: string;
  compare: { key: string; a: string; b: string };
  order: string[];
  exitCode: number;
  arms: Array<{
    arm: string;
    value: string;
    pooled: Figures;
    spread: Record<string, { min: number; max: number } | null>;
    rounds: Array<Figures & { round: number; runDir: string }>;
  }>;
  ratiosBOverA: Figures;
}

describe('loadgen --compare and --find-max against the real stack', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1 });
  });
  after(() => stack.stop());

  it('--compare diarization=none,cluster: one summary.json with both arms, every round and the ratios B/A', async () => {
    const dir = tmp('callscribe-cmp-corpus-');
    const audio = await speechFile('cmp-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    await writeFile(join(dir, 'balance.wav'), audio);
    await writeFile(join(dir, 'balance.txt'), SENTENCES.balance);
    // One voice throughout: a reference that DER can be scored against (the file is short, so the test is).
    const seconds = (audio.length - 44) / 32_000;
    await writeFile(
      join(dir, 'balance.rttm'),
      `SPEAKER balance 1 0.000 ${seconds.toFixed(3)} <NA> <NA> agent <NA> <NA>\n`,
    );
    const out = tmp('callscribe-cmp-out-');
    // The real binary: the flag parsing, the dispatch and the exit code are part of what is tested.
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      dir,
      '--target',
      stack.gateway.address,
      '--compare',
      'diarization=none,cluster',
      '--rounds',
      '2',
      '--concurrency',
      '1',
      '--out',
      out,
      '--run-id',
      'cmp',
      '--progress',
      'off',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /B\/A/);
    const doc = JSON.parse(await readFile(join(out, 'cmp', 'summary.json'), 'utf8')) as CompareDoc;
    assert.equal(doc.schema, 'callscribe-loadgen-compare/1');
    assert.deepEqual(doc.compare, { key: 'diarization', a: 'none', b: 'cluster' });
    assert.deepEqual(doc.order, ['AB', 'BA']);
    const [a, b] = doc.arms;
    assert.ok(a !== undefined && b !== undefined);
    assert.deepEqual([a.value, b.value], ['none', 'cluster']);
    for (const arm of [a, b]) {
      assert.deepEqual(
        arm.rounds.map((x) => [x.round, x.requests, x.errors]),
        [
          [1, 1, 0],
          [2, 1, 0],
        ],
      );
      assert.equal(arm.pooled['requests'], 2);
      // The spread is the min-max of the per-round figures.
      const p50s = arm.rounds.map((x) => x['latencyP50Ms'] as number);
      assert.deepEqual(arm.spread['latencyP50Ms'], { min: Math.min(...p50s), max: Math.max(...p50s) });
      assert.ok((arm.pooled['wer'] as number) >= 0, 'WER scored in both arms');
    }
    // DER only where speakers were asked for.
    assert.equal(a.pooled['der'], null);
    assert.ok(typeof b.pooled['der'] === 'number');
    for (const key of ['latencyP50Ms', 'latencyP99Ms', 'rtfx', 'throughputRps', 'wer'])
      assert.equal(doc.ratiosBOverA[key], (b.pooled[key] as number) / (a.pooled[key] as number), key);
    // The arms really differed: the server spent time diarizing only in arm B's rounds.
    for (const [arm, diarizes] of [
      [a, false],
      [b, true],
    ] as const)
      for (const round of arm.rounds) {
        const sub = JSON.parse(await readFile(join(round.runDir, 'summary.json'), 'utf8')) as {
          levels: Array<{ serverStagesMeanMs: { diarize: number } }>;
        };
        assert.equal((sub.levels[0]?.serverStagesMeanMs.diarize ?? 0) > 0, diarizes, round.runDir);
      }
    const html = await readFile(join(out, 'cmp', 'report.html'), 'utf8');
    assert.match(html, /A: diarization=none/);
    assert.match(html, /B: diarization=cluster/);
    assert.match(html, /rounds\/round2-b\/report\.html/);
  });

  it('--compare protocol=whisperx-http,openai: two protocols on one HTTP --target, each arm its own', async () => {
    const dir = tmp('callscribe-cmp-proto-');
    await writeFile(
      join(dir, 'balance.wav'),
      await speechFile('cmp-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
    );
    await writeFile(join(dir, 'balance.txt'), SENTENCES.balance);
    const out = tmp('callscribe-cmp-proto-out-');
    const target = `http://${stack.gateway.httpAddress as string}`;
    const r = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      dir,
      '--target',
      target,
      '--compare',
      'protocol=whisperx-http,openai',
      '--rounds',
      '1',
      '--concurrency',
      '1',
      '--out',
      out,
      '--run-id',
      'proto',
      '--progress',
      'off',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(await readFile(join(out, 'proto', 'summary.json'), 'utf8')) as CompareDoc;
    assert.deepEqual(doc.compare, { key: 'protocol', a: 'whisperx-http', b: 'openai' });
    // WER from each protocol's own text; time to first text only where the protocol streams (openai).
    for (const arm of doc.arms) assert.equal(typeof arm.pooled['wer'], 'number', `${arm.value}: WER measured`);
    assert.deepEqual(
      doc.arms.map((a) => a.pooled['ttfsP50Ms'] === null),
      [true, false],
    );
  });

  it('rejects a --compare it cannot run, with the flag to fix, before sending anything', async () => {
    for (const [spec, message] of [
      ['speed=1,2', /unknown --compare key "speed".*diarization, target, protocol, language, chunk-bytes/],
      ['diarization=none,loud', /--compare diarization must be one of none, channels, cluster, auto/],
      ['diarization=none', /needs exactly two values/],
      ['chunk-bytes=4096,4096', /the two arms are the same/],
      ['protocol=grpc,openai', /arm openai: --protocol openai needs --target http.*both arms share --target/],
    ] as const) {
      const r = await runBinary(BIN.loadgen, ['run', '--source', tmp('callscribe-cmp-none-'), '--compare', spec]);
      assert.equal(r.code, 2, spec);
      assert.match(r.stderr, message, spec);
    }
    const r = await runBinary(BIN.loadgen, ['run', '--source', 'x', '--compare', 'language=en,de', '--sweep', '1,2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--compare runs one level per arm/);
  });

  it('--find-max steps and bisects concurrency to the highest level that meets every threshold', async () => {
    // A gateway that admits 2 streams per client: a real capacity limit, so the answer does not hang on
    // this shared machine's timing. Levels above 2 get RESOURCE_EXHAUSTED for the excess and miss
    // errors.rate; the latency threshold is there to show several thresholds are all applied.
    const limited = await startStack({ workers: 1 }, { maxRequestsPerClient: 2 });
    try {
      const dir = tmp('callscribe-fm-corpus-');
      await writeFile(
        join(dir, 'balance.wav'),
        await speechFile('fm-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
      );
      const out = tmp('callscribe-fm-out-');
      const result = await runLoadTest(
        defaultRunConfig({
          source: dir,
          target: limited.gateway.address,
          findMax: runOptions.findMax.parse('latency.p99<120000, errors.rate<0.01', '--find-max'),
          // A window is one wave: the level's requests start together and none after 0.1 s.
          durationSec: 0.1,
          findMaxLimit: 8,
          backoffMaxMs: 0,
          // The unit tests hold the stability rule; here the shared machine's noise must not make the test flaky.
          stabilityPercent: 200,
          out,
          runId: 'fm',
          progress: 'off',
        }),
        quiet,
      );
      const fm = result.findMax;
      assert.ok(fm !== undefined);
      assert.equal(fm.answer, 2, fm.reason);
      assert.equal(fm.firstMiss, 3, fm.reason);
      assert.deepEqual(
        fm.levels.map((l) => [l.value, l.phase, l.verdict]),
        [
          [1, 'step', 'pass'],
          [2, 'step', 'pass'],
          [4, 'step', 'fail'],
          [3, 'bisect', 'fail'],
        ],
      );
      assert.equal(result.exitCode, 0);
      for (const l of fm.levels) assert.ok(l.windows.length >= 3, `${l.value}: ${l.windows.length} windows`);
      const doc = JSON.parse(await readFile(join(out, 'fm', 'summary.json'), 'utf8')) as {
        findMax: { answer: number; levels: Array<{ value: number; verdict: string; windows: unknown[] }> };
        levels: Array<{ level: string }>;
      };
      assert.equal(doc.findMax.answer, fm.answer);
      assert.deepEqual(
        doc.findMax.levels.map((l) => l.value),
        fm.levels.map((l) => l.value),
      );
      assert.ok(doc.findMax.levels.some((l) => l.verdict === 'fail'));
      assert.ok(
        doc.levels.some((l) => l.level === 'c1-w3'),
        'each window is a level of its own',
      );
      const html = await readFile(join(out, 'fm', 'report.html'), 'utf8');
      assert.match(html, /<h2>Find the maximum<\/h2>/);
      assert.match(html, new RegExp(`answer: <strong>${fm.answer}</strong>`));
      assert.ok(existsSync(join(out, 'fm', 'requests.csv')));
    } finally {
      await limited.stop();
    }
  });
});
