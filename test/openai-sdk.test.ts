import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { wordRecall } from '../loadgen/src/metrics/wer.js';
import { speak, writeAudio } from '#dev/corpus/espeak.js';
import { fixtureDir, SENTENCES, speechFile, WAV_16K, WAV_8K_MULAW_STEREO } from './support/fixtures.js';
import { startStack, transcriberStats, type Stack } from './support/stack.js';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway } from '../services/gateway/src/server.js';

/** Two lines, one voice per channel: diarization by channel needs no diarizer model. */
async function stereoCall(): Promise<Buffer> {
  const agent = await speak('Thank you for calling, how can I help?', 'en-us+f2');
  const customer = await speak('I would like to check my balance please.', 'en-us+m3');
  const gap = 8000;
  const left = new Float32Array(gap + agent.length + gap + customer.length + gap);
  const right = new Float32Array(left.length);
  left.set(agent, gap);
  right.set(customer, 2 * gap + agent.length);
  const path = join(fixtureDir(), 'openai-stereo.wav');
  await writeAudio(path, [left, right], WAV_8K_MULAW_STEREO);
  return readFile(path);
}

const spools = async () => (await readdir(tmpdir())).filter((d) => d.startsWith('callscribe-upload-')).length;

describe('the openai npm SDK against the gateway', () => {
  let stack: Stack;
  let http: string;
  let openai: OpenAI;
  let short: Buffer;
  let call: Buffer;
  before(async () => {
    stack = await startStack();
    http = stack.gateway.httpAddress as string;
    openai = new OpenAI({ apiKey: 'not-checked', baseURL: `http://${http}/v1`, maxRetries: 0 });
    short = await speechFile('http-short.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    call = await stereoCall();
  });
  after(() => stack.stop());
  const file = (audio = short) => toFile(audio, 'call.wav', { type: 'audio/wav' });

  it('json, text, srt and vtt carry the same words', async () => {
    const json = await openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    assert.ok(wordRecall(SENTENCES.balance, json.text) >= 0.45, json.text);
    assert.deepEqual(json.usage, { type: 'duration', seconds: Math.ceil((short.length - 44) / 32000) });
    const text = await openai.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'text',
    });
    assert.equal(text.trim(), json.text);
    const srt = await openai.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'srt',
    });
    assert.match(srt, /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\S/);
    const vtt = await openai.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'vtt',
    });
    assert.match(vtt, /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /);
    const cueText = (doc: string) =>
      doc
        .split('\n')
        .filter((l) => l !== '' && l !== 'WEBVTT' && !/^\d+$/.test(l) && !l.includes('-->'))
        .join(' ');
    assert.equal(cueText(srt), json.text);
    assert.equal(cueText(vtt), json.text);
  });

  it('verbose_json leaves out the decoding statistics no engine reports', async () => {
    const verbose = await openai.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment', 'word'],
    });
    assert.equal(verbose.language, 'english');
    assert.ok((verbose.segments?.length ?? 0) > 0 && (verbose.words?.length ?? 0) > 3);
    for (const s of verbose.segments ?? []) {
      assert.deepEqual(Object.keys(s).sort(), ['end', 'id', 'start', 'text']);
      assert.ok(s.start <= s.end);
    }
  });

  it('diarized_json labels each segment with its speaker (diarization=channels on a stereo call)', async () => {
    const diarized = (await openai.audio.transcriptions.create(
      { file: await file(call), model: 'whisper-1', response_format: 'diarized_json' },
      { query: { diarization: 'channels' } },
    )) as OpenAI.Audio.TranscriptionDiarized;
    assert.equal(diarized.task, 'transcribe');
    assert.ok(diarized.duration > 3);
    assert.ok(diarized.segments.length >= 2, JSON.stringify(diarized));
    for (const s of diarized.segments) {
      assert.equal(s.type, 'transcript.text.segment');
      assert.ok(s.speaker !== '' && s.start <= s.end && typeof s.id === 'string');
    }
    assert.equal(new Set(diarized.segments.map((s) => s.speaker)).size, 2, JSON.stringify(diarized.segments));
    assert.equal(diarized.text, diarized.segments.map((s) => s.text).join(' '));
    // As a form field too; and none with diarized_json is a contradiction, refused.
    await assert.rejects(
      openai.audio.transcriptions.create({
        file: await file(call),
        model: 'whisper-1',
        response_format: 'diarized_json',
        diarization: 'none',
      } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming<'diarized_json'>),
      (err: unknown) => err instanceof OpenAI.BadRequestError && /needs diarization/.test(err.message),
    );
  });

  it('stream=true: a delta per segment, then done with the whole text and usage', async () => {
    const plain = await openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    const stream = await openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', stream: true });
    const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const done = events.at(-1);
    assert.equal(done?.type, 'transcript.text.done');
    const deltas = events.slice(0, -1);
    assert.ok(deltas.length > 0 && deltas.every((e) => e.type === 'transcript.text.delta'));
    assert.equal(deltas.map((e) => (e.type === 'transcript.text.delta' ? e.delta : '')).join(''), done.text);
    assert.equal(done.text, plain.text);
    assert.deepEqual(done.usage as unknown, plain.usage);
    // diarized_json streams its segments with their speakers.
    const diarized = await openai.audio.transcriptions.create(
      { file: await file(call), model: 'whisper-1', response_format: 'diarized_json', stream: true },
      { query: { diarization: 'channels' } },
    );
    const types: string[] = [];
    const speakers = new Set<string>();
    for await (const event of diarized) {
      types.push(event.type);
      if (event.type === 'transcript.text.segment') speakers.add(event.speaker);
    }
    assert.equal(types.at(-1), 'transcript.text.done');
    assert.ok(types.slice(0, -1).every((t) => t === 'transcript.text.segment'));
    assert.equal(speakers.size, 2);
  });

  it('lists and retrieves the loaded engines as models, and 404s an unknown one in OpenAI shape', async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      ids.push(model.id);
    }
    assert.ok(ids.includes('whisper-1'), ids.join());
    const engine = ids.find((id) => id.startsWith('sphinx/'));
    assert.ok(engine !== undefined, ids.join());
    assert.equal((await openai.models.retrieve(engine)).id, engine);
    assert.equal((await openai.models.retrieve('sphinx')).id, 'sphinx');
    // Any of them is accepted as the model of a transcription.
    const json = await openai.audio.transcriptions.create({ file: await file(), model: engine });
    assert.ok(json.text.length > 0);
    await assert.rejects(
      openai.models.retrieve('gpt-nope'),
      (err: unknown) => err instanceof OpenAI.NotFoundError && /gpt-nope.*does not exist/.test(err.message),
    );
    await assert.rejects(
      openai.audio.transcriptions.create({ file: await file(), model: 'gpt-nope' }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && /gpt-nope/.test(err.message),
    );
  });

  it('answers every /v1 error in OpenAI shape, with the field at fault as param', async () => {
    const missing = await fetch(`http://${http}/v1/nothing-here`);
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error['type'], 'invalid_request_error');
    assert.match(String(body.error['message']), /no endpoint at \/v1\/nothing-here/);
    const wrongMethod = await fetch(`http://${http}/v1/audio/transcriptions`);
    assert.equal(wrongMethod.status, 405);
    assert.match(((await wrongMethod.json()) as { error: { message: string } }).error.message, /takes POST/);
    // Outside /v1 the old shape stays.
    assert.ok('detail' in ((await (await fetch(`http://${http}/nothing`)).json()) as object));
    await assert.rejects(
      openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', prompt: 'Callscribe, ACME' }),
      (err: unknown) =>
        err instanceof OpenAI.BadRequestError &&
        err.param === 'prompt' &&
        err.type === 'invalid_request_error' &&
        /the sphinx engine takes no prompt/.test(err.message),
    );
    await assert.rejects(
      openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', temperature: 0.4 }),
      (err: unknown) =>
        err instanceof OpenAI.BadRequestError &&
        err.param === 'temperature' &&
        /sphinx engine decodes deterministically only/.test(err.message),
    );
    await assert.rejects(
      openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', temperature: 1.5 }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && /from 0 to 1/.test(err.message),
    );
    // 0 means greedy, what every engine does.
    assert.ok(
      (await openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', temperature: 0 })).text,
    );
    await assert.rejects(
      openai.audio.transcriptions.create({ file: await file(), model: 'whisper-1', include: ['logprobs'] }),
      (err: unknown) =>
        err instanceof OpenAI.BadRequestError && err.param === 'include[]' && /log prob/.test(err.message),
    );
    await assert.rejects(
      openai.audio.transcriptions.create({
        file: await file(),
        model: 'whisper-1',
        response_format: 'srt',
        stream: true,
      }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'stream',
    );
  });

  it('language as a query parameter streams a file-first upload to the transcriber (no spool)', async () => {
    const spooledBefore = await spools();
    const boundary = 'openai-query';
    const [host, port] = http.split(':');
    const req = request({
      host,
      port: Number(port),
      path: '/v1/audio/transcriptions?language=en',
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    // The file part first, then the model after it, as the SDK orders { file, model }.
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="call.wav"\r\n\r\n`);
    req.write(short);
    // The body is unfinished: only a streamed upload has reached the transcriber by now.
    const until = Date.now() + 20_000;
    while ((await transcriberStats(stack)).inFlightRequests === 0) {
      assert.ok(Date.now() < until, 'the transcriber never took the unfinished upload: it was spooled');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await spools(), spooledBefore, 'nothing spooled to disk');
    req.end(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--${boundary}--\r\n`,
    );
    const answer = await reply;
    assert.equal(answer.status, 200, answer.body);
    assert.ok(wordRecall(SENTENCES.balance, (JSON.parse(answer.body) as { text: string }).text) >= 0.45, answer.body);
  });

  it('GET /health and /v1/health: 200 while a transcriber is ready, 503 when none is, no key needed', async () => {
    for (const path of ['/health', '/v1/health']) {
      const ok = await fetch(`http://${http}${path}`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { status: 'ok' });
      assert.equal((await fetch(`http://${http}${path}`, { method: 'HEAD' })).status, 200);
    }
    // A gateway with keys and no transcriber: health answers without a key, the API does not.
    const dir = await mkdtemp(join(tmpdir(), 'openai-health-'));
    const keys = join(dir, 'keys.txt');
    await writeFile(keys, 'health-test-key-0123456789\n', { mode: 0o600 });
    const orphan = await startGateway(
      defaultGatewayConfig({
        listen: '127.0.0.1:0',
        transcribers: ['127.0.0.1:1'],
        statsTimeoutMs: 200,
        apiKeysFile: keys,
      }),
    );
    try {
      const down = await fetch(`http://${orphan.httpAddress}/v1/health`);
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as { status: string }).status, 'unavailable');
      const refused = await fetch(`http://${orphan.httpAddress}/v1/models`);
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: { type: string } }).error.type, 'authentication_error');
    } finally {
      await orphan.stop(0);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
