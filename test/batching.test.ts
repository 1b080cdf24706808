import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { longCallWav, SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { expectGrpcError, startStack, transcriberStats, viaGateway, type Stack } from './support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal` to the first worker seen busy (polling for up to 10 s); returns its pid. */
async function signalBusyWorker(stack: Stack, signal: NodeJS.Signals): Promise<number> {
  for (let i = 0; i < 400; i++) {
    await sleep(25);
    const busy = (await transcriberStats(stack)).workers.find((w) => w.state === 'busy');
    if (busy !== undefined) {
      process.kill(busy.pid, signal);
      return busy.pid;
    }
  }
  throw new Error(`no worker became busy to send ${signal} to`);
}

describe('cross-request batching, cancellation and worker supervision', () => {
  let stack: Stack;
  before(async () => {
    // Short chunks make many chunks per call; one worker makes the queue build up.
    stack = await startStack({ workers: 1, batchSize: 4, audioChunkSec: 3 });
  });
  after(() => stack.stop());

  it('completes 8 concurrent requests and forms batches larger than 1', async () => {
    const wav = await speechFile('concurrent.wav', `${SENTENCES.support} ${SENTENCES.balance}`, 'en-us+f2', WAV_16K);
    const before = await transcriberStats(stack);
    const results = await Promise.all(Array.from({ length: 8 }, () => viaGateway(stack, wav)));
    for (const r of results) assert.ok(r.final.transcript.length > 0);
    // Every request saw the same audio, so the same transcript: batching must not mix chunks up.
    assert.equal(new Set(results.map((r) => r.final.transcript)).size, 1);
    const after = await transcriberStats(stack);
    const larger = after.batchSizes.filter((b) => b.batchSize > 1).reduce((n, b) => n + b.count, 0);
    const largerBefore = before.batchSizes.filter((b) => b.batchSize > 1).reduce((n, b) => n + b.count, 0);
    assert.ok(larger > largerBefore, `no batch of more than one chunk: ${JSON.stringify(after.batchSizes)}`);
    assert.equal(after.requestsCompleted - before.requestsCompleted, 8);
  });

  it("drops a cancelled stream's queued chunks before any worker sees them", async () => {
    const busy = await longCallWav('busy-12.wav', 12);
    const victim = await longCallWav('victim-9.wav', 9);
    const s0 = await transcriberStats(stack);
    // Freeze the only worker mid-batch (SIGSTOP) so nothing is dispatched while the victim queues:
    // on a slow machine a running worker would take the victim's chunks round-robin before the
    // cancel arrives, and the test would measure the machine's speed instead of the batcher.
    // A named language: with detection, a request's later chunks wait for its first one's answer.
    const english = { config: { language: 'en' } };
    const blocker = viaGateway(stack, busy, english);
    const frozenPid = await signalBusyWorker(stack, 'SIGSTOP');
    try {
      const atFreeze = await transcriberStats(stack);
      const controller = new AbortController();
      const cancelled = viaGateway(stack, victim, { ...english, signal: controller.signal });
      // With the worker frozen the queue only grows; wait until both streams have queued everything.
      let s1 = atFreeze;
      for (let i = 0, still = 0; i < 400 && still < 20; i++) {
        await sleep(50);
        const next = await transcriberStats(stack);
        still = next.queueDepth === s1.queueDepth ? still + 1 : 0;
        s1 = next;
      }
      assert.equal(s1.chunksDispatched, atFreeze.chunksDispatched, 'a frozen worker took no batch');
      assert.ok(s1.queueDepth >= 3, `only ${s1.queueDepth} chunks waiting`);
      controller.abort();
      const err = await expectGrpcError(cancelled);
      assert.equal(err.code, status.CANCELLED);
      // The client's CANCELLED is local; the gateway's cancel of its upstream call reaches the
      // transcriber a moment later.
      let afterCancel = await transcriberStats(stack);
      for (let i = 0; i < 100 && afterCancel.inFlightRequests > s1.inFlightRequests - 1; i++) {
        await sleep(50);
        afterCancel = await transcriberStats(stack);
      }
      const dropped = afterCancel.chunksCancelled - s1.chunksCancelled;
      assert.ok(dropped >= 3, `only ${dropped} of the victim's chunks were dropped`);
      assert.equal(afterCancel.queueDepth, s1.queueDepth - dropped, 'only the victim lost chunks');
      assert.equal(afterCancel.chunksDispatched, s1.chunksDispatched);
    } finally {
      process.kill(frozenPid, 'SIGCONT');
    }
    const done = await blocker;
    const s2 = await transcriberStats(stack);
    // Every chunk waiting at the cancel either ran (the blocker's) or was dropped (the victim's),
    // never both: the victim's queued chunks did not reach the worker.
    assert.equal(s2.queueDepth, 0);
    assert.ok(s2.chunksDispatched - s0.chunksDispatched >= done.final.chunkCount);
    assert.equal(s2.inFlightRequests, 0, 'the cancelled call is no longer in flight');
  });

  it('restarts a killed worker and retries its batch: the request still completes', async () => {
    const wav = await longCallWav('crash-6.wav', 6);
    const reference = await viaGateway(stack, wav);
    const before = await transcriberStats(stack);
    const running = viaGateway(stack, wav);
    const killedPid = await signalBusyWorker(stack, 'SIGKILL');
    const result = await running;
    assert.equal(result.final.transcript, reference.final.transcript, 'the retried batch gives the same text');
    const after = await transcriberStats(stack);
    assert.ok(after.batchesRetried > before.batchesRetried);
    assert.ok(after.workers.every((w) => w.pid !== killedPid));
    assert.ok(after.workers.some((w) => w.restarts > 0));
  });

  it('refuses whole requests at the door with RESOURCE_EXHAUSTED once full, and lets every admitted one finish', async () => {
    // The old chunk-queue limit failed requests already in progress; now the limit is on requests.
    const small = await startStack({ workers: 1, batchSize: 1, audioChunkSec: 3, maxConcurrentRequests: 3 });
    try {
      const wav = await speechFile('flood.wav', SENTENCES.support, 'en-us+f2', WAV_16K);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => viaGateway(small, wav)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected.length > 0, 'a full transcriber must push back');
      for (const r of rejected) {
        const err = r.reason as ServiceError;
        assert.equal(err.code, status.RESOURCE_EXHAUSTED, err.details);
        assert.match(err.details, /overloaded: .*limit of 3 requests.*retry after/);
        assert.equal(err.metadata.get('retry-after-ms')[0], '1000', 'the retry hint crosses the gateway');
      }
      const served = results.filter((r) => r.status === 'fulfilled').length;
      assert.ok(served >= 3, `only ${served} requests were served`);
      assert.equal(served + rejected.length, 8, 'every request either finished or was refused');
      const stats = await transcriberStats(small);
      assert.equal(Number(stats.requestsRefused), rejected.length);
      assert.equal(Number(stats.requestsFailed), rejected.length, 'the refusals are the only failures');
      const again = await viaGateway(
        small,
        await speechFile('after-flood.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
      );
      assert.ok(again.final.transcript.length > 0);
      assert.equal((await transcriberStats(small)).queueDepth, 0);
    } finally {
      await small.stop();
    }
  });
});
