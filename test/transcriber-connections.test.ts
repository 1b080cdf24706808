import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ClientDuplexStream, status } from '@grpc/grpc-js';
import { AudioEncoding, type AudioStreamRequest } from '#gen/callscribe/v1/audio.js';
import type { TranscriptEvent } from '#gen/callscribe/v1/transcript.js';
import { startStack, transcriberStats, type Stack } from './support/stack.js';

const STREAMS_PER_CONNECTION = 4;
const REQUESTS = 10;

/** Opens a request that sends its config (and a second of audio), then holds the stream open. */
function holdOpen(stack: Stack, withAudio = true): ClientDuplexStream<AudioStreamRequest, TranscriptEvent> {
  const call = stack.gatewayClient.streamTranscribe({ deadline: Date.now() + 60_000 });
  call.on('error', () => {});
  call.on('data', () => {});
  call.write({
    payload: {
      $case: 'config',
      config: {
        format: { encoding: AudioEncoding.PCM_S16LE, sampleRateHz: 16000, channels: 1 },
        language: 'en',
        diarization: 0,
        minSpeakers: 0,
        maxSpeakers: 0,
        wordTimestamps: false,
        channelLabels: [],
        requestTag: 'held',
        prompt: '',
      },
    },
  });
  if (withAudio) call.write({ payload: { $case: 'audio', audio: Buffer.alloc(32000) } });
  return call;
}

async function gatewayGauge(stack: Stack, state: string): Promise<number> {
  const text = await (await fetch(`http://${stack.gateway.metricsAddress}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`callscribe_gateway_transcriber_streams{state="${state}"`));
  return Number(line?.split(' ').at(-1));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const [connections, expectWaiting] of [
  [0, 0],
  [1, REQUESTS - STREAMS_PER_CONNECTION],
] as const) {
  describe(`gateway → transcriber streams past one connection's limit (--transcriber-connections ${connections})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack(
        { workers: 1, maxStreamsPerConnection: STREAMS_PER_CONNECTION, idleTimeoutMs: 0 },
        {
          maxConcurrentRequests: REQUESTS,
          transcriberStreamsPerConnection: STREAMS_PER_CONNECTION,
          transcriberConnections: connections,
          metricsListen: '127.0.0.1:0',
          idleTimeoutMs: 0,
        },
      );
    });
    after(() => stack.stop());

    it(
      connections === 0
        ? 'opens enough connections by default: every request reaches the transcriber, none waits'
        : 'with one connection the excess waits in the gateway, and the waiting metric says how many',
      async () => {
        const calls = Array.from({ length: REQUESTS }, () => holdOpen(stack));
        try {
          await until(
            'the gateway has every stream open',
            async () => (await gatewayGauge(stack, 'open')) === REQUESTS,
          );
          const reached = REQUESTS - expectWaiting;
          await until(
            `${reached} requests reach the transcriber`,
            async () => (await transcriberStats(stack)).inFlightRequests === reached,
          );
          // Settle a moment: nothing more arrives than the connections can carry.
          await new Promise((r) => setTimeout(r, 500));
          assert.equal((await transcriberStats(stack)).inFlightRequests, reached);
          assert.equal(await gatewayGauge(stack, 'waiting'), expectWaiting);
        } finally {
          for (const c of calls) c.cancel();
        }
        await until('the gateway has no stream open', async () => (await gatewayGauge(stack, 'open')) === 0);
      },
    );
  });
}

describe('streams the gateway gives up on are CANCELLED at the transcriber, never a spurious INVALID_ARGUMENT', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(
      { workers: 1, maxStreamsPerConnection: STREAMS_PER_CONNECTION, idleTimeoutMs: 0, metricsListen: '127.0.0.1:0' },
      {
        maxConcurrentRequests: 3 * REQUESTS,
        transcriberStreamsPerConnection: STREAMS_PER_CONNECTION,
        // One connection, so some streams also wait for a slot, as in the overload that found this.
        transcriberConnections: 1,
        idleTimeoutMs: 1000,
      },
    );
  });
  after(() => stack.stop());

  it('idle clients timed out by the gateway leave only CANCELLED behind', async () => {
    const failures = await Promise.all(
      Array.from({ length: 3 * REQUESTS }, async () => {
        const call = holdOpen(stack, false);
        return new Promise<number | undefined>((resolve) =>
          call.on('error', (e: { code?: number }) => resolve(e.code)),
        );
      }),
    );
    assert.ok(
      failures.every((code) => code === status.DEADLINE_EXCEEDED),
      `every idle client gets DEADLINE_EXCEEDED: ${failures.join(',')}`,
    );
    let codes = new Map<string, number>();
    await until('the transcriber has counted every stream', async () => {
      const text = await (await fetch(`http://${stack.transcriber.metricsAddress}/metrics`)).text();
      codes = new Map(
        [...text.matchAll(/^callscribe_grpc_requests_total\{method="transcribe",code="(\w+)"[^}]*\} (\d+)/gm)].map(
          (m) => [m[1] as string, Number(m[2])],
        ),
      );
      return [...codes.values()].reduce((a, b) => a + b, 0) === 3 * REQUESTS;
    });
    assert.deepEqual(Object.fromEntries(codes), { CANCELLED: 3 * REQUESTS });
  });
});
