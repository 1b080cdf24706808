import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import OpenAI, { toFile } from 'openai';
import { wordRecall } from '../loadgen/src/metrics/wer.js';
import { parseOptions } from '#common/options.js';
import { defaultGatewayConfig, gatewayOptions, httpListenAddress } from '../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../services/gateway/src/server.js';
import { speak, writeAudio } from '#dev/corpus/espeak.js';
import { makeTlsFiles } from '#dev/tls-files.js';
import { fixtureDir, SENTENCES, speechFile, WAV_16K, WAV_8K_MULAW_STEREO } from './support/fixtures.js';
import { BIN, startBinary, stopBinary } from './support/processes.js';
import { startStack, transcriberStats, type Stack } from './support/stack.js';
import { wavHeader } from './support/wav-header.js';

const execFileAsync = promisify(execFile);

interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

/** What `curl -X POST URL -H "diarization: ..." -F "file=@call.wav"` sends: a multipart form with one file. */
async function upload(
  address: string,
  path: string,
  file: Buffer,
  options: { headers?: Record<string, string>; fields?: Record<string, string>; method?: string } = {},
): Promise<Reply> {
  const form = new FormData();
  for (const [k, v] of Object.entries(options.fields ?? {})) form.append(k, v);
  form.append('file', new Blob([file]), 'call.wav');
  const res = await fetch(`http://${address}${path}`, {
    method: options.method ?? 'POST',
    headers: options.headers,
    body: options.method === 'GET' ? undefined : form,
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The command line, run with the real curl: `curl -X POST URL -H "diarization: false" -F "file=@call.wav"`. */
async function curl(url: string, path: string, diarization: string): Promise<Reply> {
  const { stdout } = await execFileAsync('curl', [
    '-sS',
    '-X',
    'POST',
    url,
    '-H',
    `diarization: ${diarization}`,
    '-F',
    `file=@${path}`,
    '-w',
    '\n%{http_code}',
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), headers: new Headers(), body: stdout.slice(0, cut) };
}

/** WAV of `seconds` of a low noise floor, made piece by piece as the socket takes it: never whole in memory. */
function* noiseWav(seconds: number, pieceBytes = 64 * 1024): Generator<Buffer> {
  const dataBytes = seconds * 16000 * 2;
  const header = wavHeader({ dataBytes });
  yield header;
  let seed = 7;
  for (let sent = 0; sent < dataBytes; sent += pieceBytes) {
    const piece = Buffer.alloc(Math.min(pieceBytes, dataBytes - sent));
    for (let i = 0; i + 1 < piece.length; i += 2) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      piece.writeInt16LE((seed % 33) - 16, i);
    }
    yield piece;
  }
}

/** A chunked multipart upload (no Content-Length, as a client streaming from a pipe sends it). */
function chunkedUpload(address: string, path: string, pieces: Iterable<Buffer>, onPiece?: () => void): Promise<Reply> {
  const boundary = 'callscribe-test-boundary';
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path,
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, diarization: 'false' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            body: Buffer.concat(parts).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    const iterator = pieces[Symbol.iterator]();
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    );
    const pump = () => {
      for (;;) {
        const next = iterator.next();
        if (next.done === true) {
          req.end(`\r\n--${boundary}--\r\n`);
          return;
        }
        onPiece?.();
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Starts a chunked upload that sends `pieces` and then waits with the body unfinished. */
function stalledUpload(address: string, pieces: Iterable<Buffer>) {
  const boundary = 'stalled';
  const [host, port] = address.split(':');
  const req = request({
    host,
    port: Number(port),
    path: '/asr/upload_file',
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const response = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), body }));
    });
    req.on('error', reject);
  });
  response.catch(() => {});
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="call.wav"\r\n\r\n`);
  for (const piece of pieces) req.write(piece);
  return { req, response };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StereoCall {
  wav: Buffer;
  turns: Array<{ speaker: 'agent' | 'customer'; startSec: number; endSec: number }>;
}

/** Two short lines, agent on the left channel then customer on the right, 8 kHz mu-law like a call. */
async function shortStereoCall(): Promise<StereoCall> {
  const agent = await speak('Thank you for calling, how can I help?', 'en-us+f2');
  const customer = await speak('I would like to check my balance please.', 'en-us+m3');
  const gap = 8000;
  const length = gap + agent.length + gap + customer.length + gap;
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  left.set(agent, gap);
  const customerAt = 2 * gap + agent.length;
  right.set(customer, customerAt);
  const path = join(fixtureDir(), 'http-stereo.wav');
  await writeAudio(path, [left, right], WAV_8K_MULAW_STEREO);
  return {
    wav: await readFile(path),
    turns: [
      { speaker: 'agent', startSec: gap / 16000, endSec: (gap + agent.length) / 16000 },
      { speaker: 'customer', startSec: customerAt / 16000, endSec: (customerAt + customer.length) / 16000 },
    ],
  };
}

describe('--http-listen', () => {
  it('defaults to the --listen host on port 8002, ephemeral when --listen is, and off turns it off', async () => {
    assert.equal(httpListenAddress({ listen: '0.0.0.0:50051', httpListen: '' }), '0.0.0.0:8002');
    assert.equal(httpListenAddress({ listen: '127.0.0.1:0', httpListen: '' }), '127.0.0.1:0');
    assert.equal(httpListenAddress({ listen: '0.0.0.0:50051', httpListen: '127.0.0.1:9000' }), '127.0.0.1:9000');
    assert.equal(httpListenAddress({ listen: '0.0.0.0:50051', httpListen: 'off' }), undefined);
    assert.throws(() => parseOptions(gatewayOptions, ['--http-listen', '8002']), /--http-listen must be host:port/);
    const off = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: ['127.0.0.1:1'], httpListen: 'off' }),
    );
    assert.equal(off.httpAddress, undefined);
    await off.stop(0);
  });
});

// First, while nothing else runs in this process: the memory measured is the gateway's and the client's.
describe('HTTP upload streaming', () => {
  it('streams a large upload: the gateway holds far less than the file', async (t) => {
    // The transcriber runs as its own process here, so what this process holds is the gateway's
    // (and the client's): memory retained after a full GC, sampled every 8 MB sent.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']);
    const gateway = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [transcriber.address] }),
    );
    const retained = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    try {
      const seconds = 900; // 28.8 MB of 16 kHz 16-bit PCM
      const fileBytes = seconds * 32000;
      // Warm up first (the gRPC channel, the parser, lazily compiled code), so the base is a steady state.
      assert.equal(
        (
          await upload(
            gateway.httpAddress as string,
            '/asr/upload_file',
            await speechFile('http-short.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
          )
        ).status,
        200,
      );
      const base = retained();
      const samples: number[] = [];
      let pieces = 0;
      const reply = await chunkedUpload(gateway.httpAddress as string, '/asr/upload_file', noiseWav(seconds), () => {
        if (++pieces % 32 === 0) samples.push(retained() - base);
      });
      assert.equal(reply.status, 200, reply.body);
      assert.equal(JSON.parse(reply.body).debug.audio_duration_sec, seconds, 'every byte reached the decoder');
      samples.sort((a, b) => a - b);
      const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
      const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;
      t.diagnostic(`held over ${samples.length} samples: median ${mb(median)}, max ${mb(samples.at(-1) ?? 0)}`);
      assert.ok(pieces > 400 && samples.length > 10, 'the upload went out in pieces');
      // A gateway that buffered would hold, at the median sample, half the file. Measured: about 2 MB,
      // with brief peaks of 13-15 MB (in flight towards the transcriber; they do not grow with the file).
      assert.ok(median < fileBytes / 4, `held ${mb(median)} at the median sample of a ${mb(fileBytes)} upload`);
    } finally {
      await gateway.stop(1000);
      await stopBinary(transcriber);
    }
  });
});

describe('HTTP edge of the gateway', () => {
  let stack: Stack;
  let http: string;
  let speech: Buffer;
  let short: Buffer;
  let call: StereoCall;
  const text = SENTENCES.support;
  before(async () => {
    stack = await startStack();
    http = stack.gateway.httpAddress as string;
    speech = await speechFile('http-speech.wav', text, 'en-us+f2', WAV_16K);
    short = await speechFile('http-short.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    call = await shortStereoCall();
  });
  after(() => stack.stop());

  it('POST /asr/upload_file without diarization answers the WhisperX server shape, "Speaker 1", seconds', async () => {
    const path = join(fixtureDir(), 'http-speech.wav');
    const reply = await curl(`http://${http}/asr/upload_file`, path, 'false');
    assert.equal(reply.status, 200, reply.body);
    const body = JSON.parse(reply.body);
    assert.deepEqual(Object.keys(body).sort(), ['debug', 'response_time', 'segments']);
    assert.ok(body.segments.length > 0);
    for (const s of body.segments) {
      assert.deepEqual(Object.keys(s).sort(), ['end_time', 'sentence', 'speaker', 'start_time']);
      assert.equal(s.speaker, 'Speaker 1');
      assert.ok(s.start_time >= 0 && s.start_time <= s.end_time);
    }
    const words = body.segments.map((s: { sentence: string }) => s.sentence).join(' ');
    assert.ok(wordRecall(text, words) >= 0.45, words);
    const d = body.debug;
    const durationSec = (speech.length - 44) / 32000;
    assert.ok(Math.abs(d.audio_duration_sec - durationSec) < 0.02, `${d.audio_duration_sec} vs ${durationSec}`);
    assert.equal(d.no_of_calls, 1);
    assert.equal(d.diarization_enabled, false);
    assert.equal(d.last_segment_end_sec, body.segments.at(-1).end_time);
    assert.ok(d.last_segment_end_sec <= durationSec + 0.01);
    assert.ok(d.total_time_asr > 0 && body.response_time >= d.total_time_asr - 0.01);
    assert.ok(Math.abs(d.rtf - d.total_time_asr / d.audio_duration_sec) < 0.01);
    const p = d.whisperx_perf;
    assert.ok(p.asr_sec > 0 && p.load_audio_sec > 0);
    assert.equal(p.diar_sec, 0);
    assert.deepEqual([p.mode, p.device, p.backend], ['fast_no_align', 'cpu', 'sphinx']);
    assert.ok(p.batch_size > 0 && typeof p.compute_type === 'string');
  });

  it('POST /asr/upload_file with diarization: true labels a stereo call by channel, SPEAKER_00 = agent', async () => {
    const reply = await upload(http, '/asr/upload_file', call.wav, { headers: { diarization: 'true' } });
    assert.equal(reply.status, 200, reply.body);
    const body = JSON.parse(reply.body);
    assert.equal(body.debug.diarization_enabled, true);
    assert.ok(body.debug.whisperx_perf.diar_sec > 0);
    const speakers = new Set(body.segments.map((s: { speaker: string }) => s.speaker));
    assert.deepEqual([...speakers].sort(), ['SPEAKER_00', 'SPEAKER_01']);
    for (const s of body.segments) {
      const mid = (s.start_time + s.end_time) / 2;
      const turn = call.turns.find((t) => t.startSec - 0.3 <= mid && mid <= t.endSec + 0.3);
      assert.ok(turn !== undefined, `segment at ${mid}s is in no reference turn`);
      assert.equal(s.speaker, turn.speaker === 'agent' ? 'SPEAKER_00' : 'SPEAKER_01', JSON.stringify(s));
    }
  });

  it('answers 400 with the decoder message for a file that is not audio, and for a bad diarization header', async () => {
    const text = await upload(http, '/asr/upload_file', Buffer.from('name,amount\nalice,12\n'.repeat(50)));
    assert.equal(text.status, 400, text.body);
    const detail = JSON.parse(text.body).detail as string;
    assert.match(detail, /unrecognised audio/);
    // HTTP callers cannot set config.format, so they are told what they can do instead.
    assert.match(detail, /upload a WAV, MP3, FLAC/);
    assert.doesNotMatch(detail, /config\.format\.encoding/);
    const tiny = await upload(http, '/asr/upload_file', Buffer.from('hi\n'));
    assert.equal(tiny.status, 400, tiny.body);
    const header = await upload(http, '/asr/upload_file', speech, { headers: { diarization: 'maybe' } });
    assert.equal(header.status, 400);
    assert.match(JSON.parse(header.body).detail, /diarization must be true or false, got "maybe"/);
    const noFile = await fetch(`http://${http}/asr/upload_file`, { method: 'POST', body: new FormData() });
    assert.equal(noFile.status, 400);
    assert.match(((await noFile.json()) as { detail: string }).detail, /no field named "file"/);
  });

  it('answers 404 for an unknown path and 405 with Allow for a wrong method', async () => {
    const missing = await upload(http, '/asr/upload', speech, { headers: { 'x-request-id': 'ticket-42.a' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-request-id'), 'ticket-42.a', 'the request id comes back, as on gRPC');
    assert.match(JSON.parse(missing.body).detail, /POST \/asr\/upload_file/);
    const wrong = await upload(http, '/asr/upload_file', speech, { method: 'GET' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  it('a client that hangs up cancels the transcription downstream', async () => {
    const before = await transcriberStats(stack);
    const pieces = noiseWav(600);
    const { req } = stalledUpload(
      http,
      Array.from({ length: 32 }, () => pieces.next().value as Buffer),
    );
    await waitFor(
      'the transcriber to take the request',
      async () => (await transcriberStats(stack)).inFlightRequests > 0,
    );
    req.destroy();
    await waitFor('the transcriber to drop it', async () => {
      const now = await transcriberStats(stack);
      return now.inFlightRequests === 0 && now.requestsFailed > before.requestsFailed;
    });
  });

  it('answers 504 naming --http-timeout-ms when the request outlives it', async () => {
    const slow = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [stack.transcriber.address], httpTimeoutMs: 300 }),
    );
    try {
      const pieces = noiseWav(60);
      const { req, response } = stalledUpload(slow.httpAddress as string, [pieces.next().value as Buffer]);
      const reply = await response;
      req.destroy();
      assert.equal(reply.status, 504, reply.body);
      assert.match(JSON.parse(reply.body).detail, /longer than 300 ms \(--http-timeout-ms\)/);
    } finally {
      await slow.stop(1000);
    }
  });

  it('answers 503 to a request still running when the gateway stops, after the grace time', async () => {
    const gateway = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [stack.transcriber.address] }),
    );
    const pieces = noiseWav(60);
    const { req, response } = stalledUpload(gateway.httpAddress as string, [pieces.next().value as Buffer]);
    await waitFor('the upload to be in flight', async () => (await transcriberStats(stack)).inFlightRequests > 0);
    const startedAt = Date.now();
    await gateway.stop(600);
    const reply = await response;
    req.destroy();
    assert.equal(reply.status, 503, reply.body);
    assert.match(JSON.parse(reply.body).detail, /shutting down/);
    assert.ok(Date.now() - startedAt >= 400, 'the request had its grace time');
  });

  describe('with --http-max-upload-bytes 256 KiB', () => {
    let small: RunningGateway;
    before(async () => {
      small = await startGateway(
        defaultGatewayConfig({
          listen: '127.0.0.1:0',
          transcribers: [stack.transcriber.address],
          httpMaxUploadBytes: 256 * 1024,
          metricsListen: '127.0.0.1:0',
        }),
      );
    });
    after(() => small.stop(1000));

    it('answers 413 from Content-Length before reading the body and mid-stream for a chunked upload, counted on /metrics', async () => {
      const big = Buffer.concat([speech, Buffer.alloc(300 * 1024)]);
      const declared = await upload(small.httpAddress as string, '/asr/upload_file', big);
      assert.equal(declared.status, 413, declared.body);
      assert.match(JSON.parse(declared.body).detail, /262144 bytes, --http-max-upload-bytes/);
      // curl asks first (Expect: 100-continue) for a file over 1 MiB, so it never sends the body.
      const bigPath = join(fixtureDir(), 'http-big.wav');
      await writeFile(bigPath, Buffer.concat([...noiseWav(40)]));
      const curled = await curl(`http://${small.httpAddress}/asr/upload_file`, bigPath, 'false');
      assert.equal(curled.status, 413, curled.body);
      const chunked = await chunkedUpload(small.httpAddress as string, '/asr/upload_file', noiseWav(30));
      assert.equal(chunked.status, 413, chunked.body);
      // Under the limit the same gateway transcribes.
      assert.equal((await upload(small.httpAddress as string, '/asr/upload_file', speech)).status, 200);
      // Each answer is counted by route and status on the gateway's /metrics.
      const scraped = await (await fetch(`http://${small.metricsAddress}/metrics`)).text();
      assert.match(scraped, /callscribe_http_requests_total\{route="\/asr\/upload_file",status="413"[^}]*\} 3\n/);
      assert.match(scraped, /callscribe_http_requests_total\{route="\/asr\/upload_file",status="200"[^}]*\} 1\n/);
    });
  });

  it('with API keys and TLS: HTTPS, 401 without a valid key, 200 with one', async (t) => {
    const tls = await makeTlsFiles();
    const keys = join(tls.dir, 'keys.txt');
    const key = 'http-test-key-0123456789';
    await writeFile(keys, `${key}\n`, { mode: 0o600 });
    const secure = await startGateway(
      defaultGatewayConfig({
        listen: '127.0.0.1:0',
        transcribers: [stack.transcriber.address],
        apiKeysFile: keys,
        tlsCert: tls.serverCert,
        tlsKey: tls.serverKey,
      }),
    );
    t.after(() => secure.stop(1000));
    const ca = await readFile(tls.caCert);
    const send = (headers: Record<string, string>) =>
      new Promise<Reply>((resolve, reject) => {
        const boundary = 'tls-boundary';
        const body = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`),
          short,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const [host, port] = (secure.httpAddress as string).split(':');
        const req = httpsRequest(
          {
            host,
            port: Number(port),
            path: '/asr/upload_file',
            method: 'POST',
            ca,
            headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: new Headers(res.headers as Record<string, string>),
                body: text,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const refused = await send({});
    assert.equal(refused.status, 401, refused.body);
    assert.match(JSON.parse(refused.body).detail, /requires an API key/);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await send({ authorization: 'Bearer not-a-listed-key-000' })).status, 401);
    const ok = await send({ authorization: `Bearer ${key}` });
    assert.equal(ok.status, 200, ok.body);
    assert.ok(JSON.parse(ok.body).segments.length > 0);
  });

  describe('POST /v1/audio/transcriptions with the openai npm client', () => {
    let openai: OpenAI;
    before(() => {
      openai = new OpenAI({ apiKey: 'not-checked', baseURL: `http://${http}/v1`, maxRetries: 0 });
    });
    const file = () => toFile(short, 'call.wav', { type: 'audio/wav' });

    it('json and text (file first: the upload is spooled until language is known)', async () => {
      const spools = async () => (await readdir(tmpdir())).filter((d) => d.startsWith('callscribe-upload-')).length;
      const spooledBefore = await spools();
      const json = await openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', language: 'en' });
      assert.equal(await spools(), spooledBefore, 'the spooled upload is removed');
      assert.ok(wordRecall(SENTENCES.balance, json.text) >= 0.45, json.text);
      const plain = await openai.audio.transcriptions.create({
        file: await file(),
        model: 'whisper-1',
        response_format: 'text',
      });
      assert.equal(typeof plain, 'string');
      assert.equal(plain.trim(), json.text);
    });

    it('srt and vtt cues carry the segment times', async () => {
      const srt = await openai.audio.transcriptions.create({
        model: 'whisper-1',
        response_format: 'srt',
        file: await file(),
      });
      assert.match(srt, /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\S/);
      const vtt = await openai.audio.transcriptions.create({
        model: 'whisper-1',
        response_format: 'vtt',
        file: await file(),
      });
      assert.match(vtt, /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n\S/);
    });

    it('verbose_json with each timestamp granularity (language first: streamed)', async () => {
      const both = await openai.audio.transcriptions.create({
        language: 'en',
        model: 'whisper-1',
        response_format: 'verbose_json',
        timestamp_granularities: ['segment', 'word'],
        file: await file(),
      });
      assert.equal(both.language, 'english');
      assert.ok(Math.abs(both.duration - (short.length - 44) / 32000) < 0.02);
      assert.ok((both.segments?.length ?? 0) > 0 && (both.words?.length ?? 0) > 3);
      const last = both.segments?.at(-1);
      for (const w of both.words ?? []) assert.ok(w.start <= w.end && w.end <= (last?.end ?? 0) + 0.01);
      const words = await openai.audio.transcriptions.create({
        model: 'whisper-1',
        file: await file(),
        response_format: 'verbose_json',
        timestamp_granularities: ['word'],
      });
      assert.equal(words.segments, undefined);
      assert.deepEqual(
        words.words?.map((w) => w.word),
        both.words?.map((w) => w.word),
      );
    });

    it('refuses bad options with an OpenAI-shaped 400 the SDK raises', async () => {
      await assert.rejects(
        openai.audio.transcriptions.create({
          file: await file(),
          model: 'whisper-1',
          response_format: 'json',
          timestamp_granularities: ['word'],
        }),
        (err: unknown) =>
          err instanceof OpenAI.BadRequestError && /needs response_format=verbose_json/.test(err.message),
      );
      await assert.rejects(
        openai.audio.transcriptions.create({ language: 'xx-nope', file: await file(), model: 'whisper-1' }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && /xx-nope/.test(err.message),
      );
    });
  });
});
