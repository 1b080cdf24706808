import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import { checkHealth } from '#common/health-check.js';
import type { AudioStreamRequest } from '#gen/callscribe/v1/audio.js';
import { AudioEncoding } from '#gen/callscribe/v1/audio.js';
import type { TranscriptEvent } from '#gen/callscribe/v1/transcript.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { expectGrpcError, startStack, viaGateway, type Stack } from './support/stack.js';
import { wavHeader } from './support/wav-header.js';

/** Sends exactly these messages and resolves with the error the call ends with. */
function sendRaw(stack: Stack, messages: AudioStreamRequest[]): Promise<{ code: number; details: string }> {
  const call: ClientDuplexStream<AudioStreamRequest, TranscriptEvent> = stack.gatewayClient.streamTranscribe({
    deadline: Date.now() + 30_000,
  });
  const result = new Promise<{ code: number; details: string }>((resolve, reject) => {
    call.on('data', () => {});
    call.on('error', (e: { code: number; details: string }) => resolve(e));
    call.on('end', () => reject(new Error('expected an error status')));
  });
  for (const m of messages) call.write(m);
  call.end();
  return result;
}

const config = (
  extra: Partial<import('#gen/callscribe/v1/audio.js').TranscriptionConfig> = {},
): AudioStreamRequest => ({
  payload: {
    $case: 'config',
    config: {
      format: undefined,
      language: '',
      diarization: 0,
      minSpeakers: 0,
      maxSpeakers: 0,
      wordTimestamps: false,
      channelLabels: [],
      requestTag: '',
      prompt: '',
      ...extra,
    },
  },
});
const audio = (bytes: Buffer): AudioStreamRequest => ({ payload: { $case: 'audio', audio: bytes } });

describe('bad input: INVALID_ARGUMENT with a message a person can act on, server still healthy', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1 });
  });
  after(() => stack.stop());

  const cases: Array<[string, () => Promise<AudioStreamRequest[]>, RegExp]> = [
    [
      'random bytes',
      async () => [config(), audio(Buffer.concat([Buffer.from('JUNK'), randomBytes(64 * 1024)]))],
      /unrecognised audio.*set config\.format\.encoding/,
    ],
    [
      'a truncated WAV header',
      async () => [config(), audio(wavHeader({ dataBytes: 32000 }).subarray(0, 30))],
      /WAV header is incomplete.*ended after 30 bytes/,
    ],
    [
      'a WAV whose header lies about its data size',
      async () => {
        const wav = await speechFile('liar-source.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
        const lying = Buffer.from(wav);
        lying.writeUInt32LE(wav.length * 3, 40);
        return [config(), audio(lying)];
      },
      /declares \d+ bytes of audio data but the stream ended after \d+/,
    ],
    ['a config-less stream', async () => [], /ended before any message; send a config message first/],
    [
      'audio before config',
      async () => [audio(Buffer.alloc(3200)), config()],
      /first message carried audio; send a config message first/,
    ],
    ['zero-length audio', async () => [config()], /no audio bytes/],
    ['a zero-length WAV', async () => [config(), audio(wavHeader({ dataBytes: 0 }))], /holds no samples/],
    [
      'an unsupported codec',
      async () => [
        config(),
        audio(Buffer.concat([wavHeader({ formatTag: 0x7777, bits: 4, dataBytes: 1000 }), Buffer.alloc(1000)])),
      ],
      /not supported; supported: PCM/,
    ],
    [
      'raw audio without a sample rate',
      async () => [
        config({ format: { encoding: AudioEncoding.MULAW, sampleRateHz: 0, channels: 1 } }),
        audio(Buffer.alloc(800)),
      ],
      /sample_rate_hz must be 1000\.\.384000/,
    ],
    [
      'min_speakers above max_speakers',
      async () => [config({ minSpeakers: 3, maxSpeakers: 2 }), audio(Buffer.alloc(10))],
      /min_speakers \(3\) is greater than config\.max_speakers \(2\)/,
    ],
    ['a second config', async () => [config(), config(), audio(Buffer.alloc(10))], /second config/],
    [
      'a language the engine lacks',
      async () => [config({ language: 'fr' }), audio(Buffer.alloc(10))],
      /sphinx does not transcribe french \(fr\)/,
    ],
    [
      'a malformed language tag',
      async () => [config({ language: 'en_US' }), audio(Buffer.alloc(10))],
      /"en_US" is not a BCP-47 tag/,
    ],
    [
      'a language Whisper does not know',
      async () => [config({ language: 'tlh' }), audio(Buffer.alloc(10))],
      /"tlh" is not one Whisper transcribes/,
    ],
    [
      'a language tag longer than any real one',
      async () => [config({ language: `en-${'x'.repeat(100)}` }), audio(Buffer.alloc(10))],
      /language is 103 characters long/,
    ],
    // Sphinx has no prompt and no sampling: refused, not silently ignored.
    [
      'a prompt the engine cannot take',
      async () => [config({ prompt: 'Callscribe, ACME' }), audio(Buffer.alloc(10))],
      /the sphinx engine takes no prompt/,
    ],
    [
      'a temperature the engine cannot sample at',
      async () => [config({ temperature: 0.4 }), audio(Buffer.alloc(10))],
      /the sphinx engine decodes deterministically only/,
    ],
    [
      'a temperature outside 0..1',
      async () => [config({ temperature: 1.5 }), audio(Buffer.alloc(10))],
      /between 0 and 1/,
    ],
    [
      'a prompt longer than Whisper reads',
      async () => [config({ prompt: 'ACME '.repeat(300) }), audio(Buffer.alloc(10))],
      /prompt is 1499 characters; at most 1000/,
    ],
  ];

  for (const [name, build, message] of cases) {
    it(`rejects ${name}`, async () => {
      const err = await sendRaw(stack, await build());
      assert.equal(err.code, status.INVALID_ARGUMENT, `${name}: got ${err.code} ${err.details}`);
      assert.match(err.details, message);
    });
  }

  it('is still healthy and transcribing after all of that', async () => {
    assert.equal(await checkHealth(stack.gateway.address), 'SERVING');
    assert.equal(await checkHealth(stack.transcriber.address, 'callscribe.v1.Transcriber'), 'SERVING');
    const wav = await speechFile('after-bad.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    const { final } = await viaGateway(stack, wav);
    assert.ok(final.transcript.length > 0);
  });

  it('answers DEADLINE_EXCEEDED when the deadline passes mid-stream', async () => {
    const wav = await speechFile('deadline.wav', SENTENCES.support, 'en-us+f2', WAV_16K);
    const err = await expectGrpcError(
      viaGateway(stack, wav, { deadlineMs: 300, delayBetweenChunksMs: 200, chunkBytes: 4000 }),
    );
    assert.equal(err.code, status.DEADLINE_EXCEEDED);
  });
});
