import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { AudioEncoding } from '#gen/callscribe/v1/audio.js';
import { writeMessage } from '#common/message-stream.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { audioMessage, configMessage, rawGateway, type RawGateway } from './support/raw-gateway.js';
import { expectGrpcError, startStack, transcriberStats, viaGateway, type Stack } from './support/stack.js';

const MB = 1024 * 1024;

/** Near-silence as 1 kHz mu-law: one byte per 1 ms of audio that decodes to 16 floats (64 bytes). */
function mulawSilence(seconds: number): Buffer {
  const codes = [0xff, 0xfe, 0x7f, 0x7e];
  const out = Buffer.alloc(seconds * 1000);
  let seed = 7;
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = codes[seed % 4] as number;
  }
  return out;
}

describe('limits: every bound answers with a clear status', () => {
  let stack: Stack;
  let raw: RawGateway;
  before(async () => {
    stack = await startStack(
      { workers: 1, maxAudioSec: 3600, maxBufferedAudioSec: 70 },
      { idleTimeoutMs: 500, maxRequestsPerClient: 2 },
    );
    raw = rawGateway(stack.gateway.address);
  });
  after(async () => {
    raw.close();
    await stack.stop();
  });

  it('fails a stream that sends a config and then nothing with DEADLINE_EXCEEDED (idle limit)', async () => {
    const started = performance.now();
    const outcome = await raw.send([configMessage({ language: 'en' })], { end: false });
    assert.equal(outcome.code, status.DEADLINE_EXCEEDED, outcome.details);
    assert.match(outcome.details, /no message from the client for 0.5 s/);
    // Generous: the point is that it ends on its own, long before the 30 s call deadline.
    assert.ok(performance.now() - started < 15_000);
  });

  it('fails a slow-drip stream (a byte every 100 ms beats the idle limit) with DEADLINE_EXCEEDED naming the minimum rate', async () => {
    const call = raw.open();
    call.on('data', () => {});
    const outcome = new Promise<{ code?: number; details?: string }>((resolve) => call.on('error', resolve));
    call.write(configMessage({ format: { encoding: AudioEncoding.MULAW, sampleRateHz: 8000, channels: 1 } }));
    const started = performance.now();
    const timer = setInterval(() => call.write(audioMessage(Buffer.from([0xff]))), 100);
    try {
      const e = await outcome;
      assert.equal(e.code, status.DEADLINE_EXCEEDED, e.details);
      assert.match(e.details ?? '', /under the server's minimum of 256 bytes\/s/);
      assert.ok(performance.now() - started < 15_000);
    } finally {
      clearInterval(timer);
    }
  });

  it('fails a stream that opens and never sends with DEADLINE_EXCEEDED', async () => {
    const outcome = await raw.send([], { end: false });
    assert.equal(outcome.code, status.DEADLINE_EXCEEDED, outcome.details);
  });

  it('refuses a client past its in-flight limit with RESOURCE_EXHAUSTED and a retry hint, then admits it again', async () => {
    const held = [raw.open(), raw.open()];
    const ended = held.map((call) => new Promise((resolve) => call.on('error', resolve).on('end', resolve)));
    for (const call of held) {
      call.on('data', () => {});
      // Audio keeps arriving, so the idle limit does not end them first.
      call.write(configMessage({ language: 'en' }));
    }
    const keepAlive = setInterval(() => {
      for (const call of held) call.write(audioMessage(Buffer.alloc(320)));
    }, 100);
    try {
      // The gateway admits in arrival order: wait until both are in before knocking a third time.
      await new Promise((r) => setTimeout(r, 300));
      const refused = await raw.send([configMessage({ language: 'en' })]);
      assert.equal(refused.code, status.RESOURCE_EXHAUSTED, refused.details);
      assert.match(refused.details, /this client already has 2 requests running \(limit 2 per client\)/);
      assert.equal(refused.metadata?.get('retry-after-ms')[0], '1000');
      // The HTTP edge shares the gateway's admission: 429 with Retry-After, before the body is read.
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(64)]), 'call.wav');
      const http = await fetch(`http://${stack.gateway.httpAddress}/asr/upload_file`, { method: 'POST', body: form });
      assert.equal(http.status, 429, await http.clone().text());
      assert.equal(http.headers.get('retry-after'), '1');
      assert.match(await http.text(), /this client already has 2 requests running/);
    } finally {
      clearInterval(keepAlive);
      for (const call of held) call.cancel();
    }
    await Promise.all(ended);
    const wav = await speechFile('limits-ok.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    const ok = await viaGateway(stack, wav, { config: { language: 'en' } });
    assert.ok(ok.final.transcript.length > 0, 'the client is admitted again once its streams ended');
  });

  it('answers INVALID_ARGUMENT for a malformed later message, an over-long request_tag and absurd speaker counts', async () => {
    const malformed = await raw.send([configMessage({ language: 'en' }), Buffer.from([0xff, 0xff, 0xff, 0x0f, 1])]);
    assert.equal(malformed.code, status.INVALID_ARGUMENT, malformed.details);
    assert.match(malformed.details, /message 1 is not a valid AudioStreamRequest/);
    const tag = await raw.send([configMessage({ requestTag: 'x'.repeat(257) })]);
    assert.equal(tag.code, status.INVALID_ARGUMENT);
    assert.match(tag.details, /request_tag must be at most 256 characters, got 257/);
    const speakers = await raw.send([configMessage({ minSpeakers: 1000, maxSpeakers: 0 })]);
    assert.equal(speakers.code, status.INVALID_ARGUMENT);
    assert.match(speakers.details, /min_speakers must be at most 32, got 1000/);
  });

  it('answers INVALID_ARGUMENT for audio longer than --max-audio-sec', async () => {
    const short = await startStack({ workers: 1, maxAudioSec: 2 });
    try {
      const wav = await speechFile('limits-long.wav', SENTENCES.support, 'en-us+f2', WAV_16K);
      const err = await expectGrpcError(viaGateway(short, wav));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /longer than the transcriber's limit of 2 s/);
    } finally {
      await short.stop();
    }
  });

  it('ends a request that runs past --max-request-ms with DEADLINE_EXCEEDED, whatever its own deadline', async () => {
    const capped = await startStack({ workers: 1 }, { maxRequestMs: 400 });
    try {
      const wav = await speechFile('limits-ok.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
      // Paced like a live call: the upload alone takes about 2 s.
      const err = await expectGrpcError(viaGateway(capped, wav, { paceBytesPerSec: 64_000, deadlineMs: 60_000 }));
      assert.equal(err.code, status.DEADLINE_EXCEEDED, err.details);
      assert.match(err.details, /past the server's limit of 0.4 s/);
    } finally {
      await capped.stop();
    }
  });

  it('fails a write the client never reads within the stall limit, instead of holding it', async () => {
    // A Node stream nobody reads, one message deep: what grpc-js's call looks like to a frozen client.
    const call = new PassThrough({ objectMode: true, highWaterMark: 1 });
    const signal = new AbortController().signal;
    const started = performance.now();
    await assert.rejects(writeMessage(call, 'unread', signal, 200), (err: { code?: number; message?: string }) => {
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      assert.match(err.message ?? '', /read no response for 0.2 s/);
      return true;
    });
    assert.ok(performance.now() - started >= 150);
  });

  it('holds a fast upload of cheap audio back instead of buffering it: RSS stays bounded', async () => {
    // An hour of 1 kHz mu-law is 3.6 MB on the wire and 230 MB as 16 kHz floats: buffered whole ahead
    // of VAD (as before), RSS grew by more than that (159 MB for 40 min, measured).
    const seconds = 60 * 60;
    const audio = mulawSilence(seconds);
    const format = { encoding: AudioEncoding.MULAW, sampleRateHz: 1000, channels: 1 };
    // Warm up (VAD model, decoder, resampler) so the baseline is not the first request's one-off cost.
    await viaGateway(stack, mulawSilence(60), { config: { format, language: 'en' } });
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const result = await viaGateway(stack, audio, { config: { format, language: 'en' }, deadlineMs: 300_000 });
      assert.ok(Math.abs(result.final.audioDurationSec - seconds) < 1, `${result.final.audioDurationSec} s decoded`);
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peak - baseline) / MB;
    // The bound: 70 s of audio held per request (4.5 MB) plus decoder, resampler and GC slack (about
    // 21 MB measured; garbage not yet collected on a loaded machine takes the rest).
    assert.ok(growthMb < 110, `RSS grew by ${growthMb.toFixed(0)} MB streaming ${seconds} s of audio`);
    assert.equal((await transcriberStats(stack)).queueDepth, 0);
  });
});
