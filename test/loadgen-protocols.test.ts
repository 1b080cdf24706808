import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { makeTlsFiles } from '#dev/tls-files.js';
import { audioInfo } from '../loadgen/src/source/wav-info.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import {
  EVENT_GAP_MS,
  sha256,
  startForeignAsrServer,
  WHISPERX_PERF,
  type ForeignAsrServer,
  type KnownRecording,
} from './support/foreign-asr-server.js';
import { BIN, runBinary } from './support/processes.js';
import { startStack, type Stack } from './support/stack.js';

type Row = Record<string, string>;
interface Level {
  wer: number | null;
  werRecordings: { scored: number; of: number };
  rtfx: number;
  costPerAudioHourUsd: number | null;
  ttfsMs: { p50: number | null; p99: number | null };
  latencyMs: { p50: number | null };
  serverStagesMeanMs: Record<string, number | null> | null;
  errors: number;
  errorKinds: string;
  gpuNote: string;
}
interface Summary {
  protocol: string;
  engine?: { backend: string; model: string };
  levels: Level[];
}

// One deletion per recording (the foreign server drops the last word): 11 and 13 reference words.
const FOREIGN_WER = 2 / (11 + 13);

async function corpus(): Promise<{ dir: string; known: Map<string, KnownRecording> }> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-proto-corpus-'));
  const known = new Map<string, KnownRecording>();
  const files: Array<[string, string, boolean]> = [
    ['balance', SENTENCES.balance, true],
    ['refund', SENTENCES.refund, true],
    // No .txt beside it: transcribed, but not in the WER ("2 of 3 recordings").
    ['support', SENTENCES.support, false],
  ];
  for (const [name, text, withReference] of files) {
    const audio = await speechFile(`proto-${name}.wav`, text, 'en-us+f2', WAV_16K);
    await writeFile(join(dir, `${name}.wav`), audio);
    if (withReference) await writeFile(join(dir, `${name}.txt`), text);
    known.set(sha256(audio), { text, durationSec: audioInfo(audio).durationSec as number });
  }
  return { dir, known };
}

async function loadgen(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), 'callscribe-proto-out-'));
  const r = await runBinary(BIN.loadgen, ['run', ...args, '--out', out, '--run-id', 'r', '--progress', 'off']);
  return { ...r, out: join(out, 'r') };
}

const summaryOf = async (runDir: string) => JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as Summary;
const rowsOf = async (runDir: string) =>
  parse(await readFile(join(runDir, 'requests.csv'), 'utf8'), { columns: true }) as Row[];

describe('loadgen protocols against an independent WhisperX FastAPI / OpenAI server', () => {
  let server: ForeignAsrServer;
  let source: string;
  before(async () => {
    const c = await corpus();
    source = c.dir;
    server = await startForeignAsrServer(c.known, 'sk-test-key');
  });
  after(() => server.stop());

  it('whisperx-http: WER over the recordings with a reference, the server stages it names, no TTFS', async () => {
    const r = await loadgen([
      '--protocol',
      'whisperx-http',
      '--target',
      server.url,
      '--source',
      source,
      '--concurrency',
      '2',
      '--cost-per-hour',
      '2.49',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const s = await summaryOf(r.out);
    const level = s.levels[0] as Level;
    assert.equal(s.protocol, 'whisperx-http');
    assert.equal(level.errors, 0);
    assert.ok(Math.abs((level.wer as number) - FOREIGN_WER) < 1e-9, `WER ${level.wer}, expected ${FOREIGN_WER}`);
    assert.deepEqual(level.werRecordings, { scored: 2, of: 3 });
    assert.equal(level.ttfsMs.p50, null, 'no stream: TTFS not measured, not 0');
    const stages = level.serverStagesMeanMs as Record<string, number | null>;
    assert.ok(Math.abs((stages['decode'] as number) - WHISPERX_PERF.load_audio_sec * 1000) < 1e-6);
    assert.ok(Math.abs((stages['asr'] as number) - WHISPERX_PERF.asr_sec * 1000) < 1e-6);
    for (const st of ['vad', 'queue', 'align', 'diarize', 'assign'])
      assert.equal(stages[st], null, `${st}: not reported, so null`);
    assert.equal(s.engine?.backend, 'whisperx');
    assert.equal(s.engine?.model, 'large-v2');
    assert.ok(Math.abs((level.costPerAudioHourUsd as number) - 2.49 / level.rtfx) < 1e-9);
    assert.match(level.gpuNote, /not measured/);
    const rows = await rowsOf(r.out);
    assert.equal(rows.filter((x) => x['phase'] === 'measured').length, 3);
    for (const row of rows) {
      assert.equal(row['status'], 'OK');
      assert.equal(row['ttfs_ms'], '', 'empty, not 0');
      assert.equal(row['server_vad_ms'], '');
      assert.notEqual(row['server_asr_ms'], '');
      assert.notEqual(row['transcript'], '');
    }
    const uploads = server.seen.filter((x) => x.path === '/asr/upload_file');
    assert.ok(uploads.length >= 4, 'the probe and the three recordings');
    assert.ok(uploads.every((x) => x.headers['diarization'] === 'false'));
    const summaryCsv = parse(await readFile(join(r.out, 'summary.csv'), 'utf8'), { columns: true }) as Row[];
    assert.notEqual(summaryCsv[0]?.['cost_per_audio_hour_usd'], '');
    assert.equal(summaryCsv[0]?.['ttfs_p50_ms'], '');
    assert.match(r.stdout, /\$\/audio h/);
    const html = await readFile(join(r.out, 'report.html'), 'utf8');
    assert.match(html, /over 2 of 3 recordings/);
    assert.match(html, /Time to first segment: not measured/);
  });

  it('openai, streamed: time to first text from the first delta, WER from the done event, no stages', async () => {
    const r = await loadgen([
      '--protocol',
      'openai',
      '--target',
      server.url,
      '--api-key',
      'sk-test-key',
      '--source',
      source,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const level = (await summaryOf(r.out)).levels[0] as Level;
    assert.ok(Math.abs((level.wer as number) - FOREIGN_WER) < 1e-9, `WER ${level.wer}`);
    const ttfs = level.ttfsMs.p50 as number;
    const latency = level.latencyMs.p50 as number;
    // About 10 words 60 ms apart: the first text comes several gaps before the end.
    assert.ok(ttfs > 0 && ttfs < latency - 3 * EVENT_GAP_MS, `TTFS ${ttfs} ms, latency ${latency} ms`);
    assert.equal(level.serverStagesMeanMs, null, 'OpenAI reports no stages: null, not zeros');
    const posts = server.seen.filter((x) => x.path === '/v1/audio/transcriptions');
    assert.ok(posts.length > 0);
    for (const p of posts) {
      assert.equal(p.headers.authorization, 'Bearer sk-test-key');
      assert.equal(p.fields.get('model'), 'whisper-1');
      assert.equal(p.fields.get('stream'), 'true');
      assert.equal(p.fields.get('response_format'), 'json');
    }
    const rows = await rowsOf(r.out);
    assert.ok(
      rows.every((x) => x['ttfs_ms'] !== '' && x['segments'] === ''),
      'deltas are not segments',
    );
  });

  it('openai, not streamed: verbose_json segments, TTFS not measured', async () => {
    const before = server.seen.length;
    const r = await loadgen([
      '--protocol',
      'openai',
      '--no-openai-stream',
      '--target',
      server.url,
      '--api-key',
      'sk-test-key',
      '--source',
      source,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const level = (await summaryOf(r.out)).levels[0] as Level;
    assert.ok(Math.abs((level.wer as number) - FOREIGN_WER) < 1e-9);
    assert.equal(level.ttfsMs.p50, null);
    assert.ok(server.seen.slice(before).every((x) => x.fields.get('response_format') === 'verbose_json'));
    const rows = await rowsOf(r.out);
    assert.ok(rows.every((x) => x['segments'] === '1' && x['ttfs_ms'] === ''));
  });

  it('a missing key fails the preflight with the hint; 429 is counted as RESOURCE_EXHAUSTED with its message', async () => {
    const noKey = await loadgen(['--protocol', 'openai', '--target', server.url, '--source', source]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /answers 401: the gateway requires an API key/);
    // A WhisperX server asked the OpenAI way: up (its /v1/models answers), no such endpoint.
    const wrongPath = await loadgen([
      '--protocol',
      'openai',
      '--target',
      `${server.url}/elsewhere`,
      '--source',
      source,
    ]);
    assert.equal(wrongPath.code, 2);
    assert.match(
      wrongPath.stderr,
      /failed with NOT_FOUND: HTTP 404: Not Found; the server has no such endpoint: is --protocol/,
    );
    const busyDir = mkdtempSync(join(tmpdir(), 'callscribe-proto-busy-'));
    await writeFile(join(busyDir, 'busy.wav'), await readFile(join(source, 'balance.wav')));
    const busy = await loadgen([
      '--protocol',
      'whisperx-http',
      '--target',
      server.url,
      '--source',
      busyDir,
      '--no-preflight',
      '--count',
      '2',
      '--concurrency',
      '1',
      '--backoff-max-ms',
      '0',
    ]);
    assert.equal(busy.code, 1, busy.stderr);
    const rows = await rowsOf(busy.out);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row['status'], 'RESOURCE_EXHAUSTED');
      assert.match(row['error'] as string, /HTTP 429: too many requests \(retry-after 1 s\)/);
    }
  });

  it('speaks https with --tls-ca, and mTLS with --tls-cert/--tls-key', async () => {
    const tls = await makeTlsFiles();
    const known = (await corpus()).known;
    const secure = await startForeignAsrServer(known, '', {
      cert: tls.serverCert,
      key: tls.serverKey,
      ca: tls.caCert,
    });
    try {
      const args = ['--protocol', 'whisperx-http', '--target', secure.url, '--source', source, '--count', '1'];
      const untrusted = await loadgen(args);
      assert.equal(untrusted.code, 2, 'the system roots do not know the test CA');
      assert.match(untrusted.stderr, /preflight: the target https:\/\/127\.0\.0\.1:\d+ did not answer GET \/health/);
      const mtls = await loadgen([
        ...args,
        '--tls-ca',
        tls.caCert,
        '--tls-cert',
        tls.clientCert,
        '--tls-key',
        tls.clientKey,
      ]);
      assert.equal(mtls.code, 0, mtls.stderr + mtls.stdout);
      assert.equal(((await summaryOf(mtls.out)).levels[0] as Level).errors, 0);
    } finally {
      await secure.stop();
    }
  });

  it('scores DER from diarized answers of both shapes, streamed or not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-proto-der-'));
    const audio = await readFile(join(source, 'balance.wav'));
    const sec = audioInfo(audio).durationSec as number;
    await writeFile(join(dir, 'balance.wav'), audio);
    await writeFile(join(dir, 'balance.txt'), SENTENCES.balance);
    // The server gives each half of the call to one speaker, and so does the reference: DER 0 exactly.
    await writeFile(
      join(dir, 'balance.rttm'),
      [
        `SPEAKER balance 1 0.000 ${(sec / 2).toFixed(3)} <NA> <NA> agent <NA> <NA>`,
        `SPEAKER balance 1 ${(sec / 2).toFixed(3)} ${(sec / 2).toFixed(3)} <NA> <NA> caller <NA> <NA>`,
      ].join('\n') + '\n',
    );
    for (const args of [
      ['--protocol', 'whisperx-http', '--diarization', 'auto'],
      ['--protocol', 'openai', '--diarization', 'auto', '--api-key', 'sk-test-key'],
      ['--protocol', 'openai', '--diarization', 'auto', '--api-key', 'sk-test-key', '--no-openai-stream'],
    ]) {
      const r = await loadgen([...args, '--target', server.url, '--source', dir]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const level = (await summaryOf(r.out)).levels[0] as Level & { der: number | null };
      assert.equal(level.der, 0, `${args.join(' ')}: the turns match the reference exactly`);
      const rows = await rowsOf(r.out);
      assert.ok(
        rows.every((x) => x['speakers'] === '2'),
        `${args.join(' ')}: two speakers`,
      );
    }
    assert.ok(server.seen.some((x) => x.path === '/asr/upload_file' && x.headers['diarization'] === 'true'));
  });

  it("paces the upload at the audio's own rate with --pace realtime", async () => {
    const r = await loadgen([
      '--protocol',
      'whisperx-http',
      '--target',
      server.url,
      '--source',
      source,
      '--pace',
      'realtime',
      '--concurrency',
      '3',
      '--chunk-bytes',
      '8000',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const row of await rowsOf(r.out)) {
      const audioMs = Number(row['audio_sec']) * 1000;
      assert.ok(
        Number(row['latency_uncorrected_ms']) >= audioMs * 0.9,
        `${row['file']}: ${row['latency_uncorrected_ms']} ms for ${audioMs} ms of audio`,
      );
      assert.ok(Number(row['after_audio_ms']) < audioMs / 2, 'the answer comes soon after the last byte');
    }
  });

  it('a stream past --deadline-ms is cut and counted as DEADLINE_EXCEEDED, its row kept', async () => {
    const r = await loadgen([
      '--protocol',
      'openai',
      '--target',
      server.url,
      '--api-key',
      'sk-test-key',
      '--source',
      source,
      '--no-preflight',
      '--deadline-ms',
      String(3 * EVENT_GAP_MS),
    ]);
    assert.equal(r.code, 1, r.stderr);
    const rows = await rowsOf(r.out);
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.equal(row['status'], 'DEADLINE_EXCEEDED');
      assert.match(row['error'] as string, /no complete answer within 180 ms \(--deadline-ms\)/);
      assert.equal(row['wer'], '');
    }
  });

  it('checks --target against --protocol before anything runs', async () => {
    const grpcWithUrl = await loadgen(['--target', server.url, '--source', source]);
    assert.equal(grpcWithUrl.code, 2);
    assert.match(grpcWithUrl.stderr, /is an HTTP URL but --protocol is grpc/);
    const httpWithHostPort = await loadgen(['--protocol', 'openai', '--target', '127.0.0.1:1', '--source', source]);
    assert.equal(httpWithHostPort.code, 2);
    assert.match(httpWithHostPort.stderr, /--protocol openai needs --target http\(s\):\/\/host:port/);
  });
});

describe('loadgen protocols against our gateway', () => {
  let stack: Stack;
  let source: string;
  let http: string;
  before(async () => {
    stack = await startStack({ workers: 1 });
    http = `http://${stack.gateway.httpAddress as string}`;
    source = (await corpus()).dir;
  });
  after(() => stack.stop());

  it('whisperx-http: /asr/upload_file end to end, with WER and the stages our legacy shape reports', async () => {
    const r = await loadgen(['--protocol', 'whisperx-http', '--target', http, '--source', source]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const s = await summaryOf(r.out);
    const level = s.levels[0] as Level;
    assert.equal(level.errors, 0);
    assert.ok(level.wer !== null && level.wer < 0.8, `WER ${level.wer}`);
    assert.deepEqual(level.werRecordings, { scored: 2, of: 3 });
    assert.equal(level.ttfsMs.p50, null);
    assert.ok(((level.serverStagesMeanMs as Record<string, number>)['asr'] ?? 0) > 0);
    assert.equal((level.serverStagesMeanMs as Record<string, number | null>)['vad'], null);
    assert.equal(s.engine?.backend, 'sphinx');
  });

  it('openai: /v1/audio/transcriptions streamed end to end, with WER and time to first text', async () => {
    const r = await loadgen(['--protocol', 'openai', '--target', http, '--source', source, '--language', 'en']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const level = (await summaryOf(r.out)).levels[0] as Level;
    assert.equal(level.errors, 0);
    assert.ok(level.wer !== null && level.wer < 0.8, `WER ${level.wer}`);
    assert.ok((level.ttfsMs.p50 as number) > 0 && (level.ttfsMs.p50 as number) <= (level.latencyMs.p50 as number));
  });

  it('a port of the wrong kind fails the preflight with the hint to fix it', async () => {
    const httpOnGrpc = await loadgen([
      '--protocol',
      'openai',
      '--target',
      `http://${stack.gateway.address}`,
      '--source',
      source,
    ]);
    assert.equal(httpOnGrpc.code, 2);
    assert.match(httpOnGrpc.stderr, /not HTTP\/1\.1: is --target the gRPC port\?/);
    const grpcOnHttp = await loadgen([
      '--target',
      stack.gateway.httpAddress as string,
      '--source',
      source,
      '--preflight-timeout-ms',
      '3000',
    ]);
    assert.equal(grpcOnHttp.code, 2);
    assert.match(grpcOnHttp.stderr, /not gRPC: is --target an HTTP port\?/);
  });
});
