import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { longCallWav, SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { expectGrpcError, startStack, transcriberStats, viaGateway, type Stack } from './support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    // Occupy the only worker; once the blocker's chunks are all queued, queue the victim's behind them.
    const blocker = viaGateway(stack, busy);
    await sleep(1000);
    const blockerQueued = (await transcriberStats(stack)).queueDepth;
    const controller = new AbortController();
    const cancelled = viaGateway(stack, victim, { signal: controller.signal });
    let s1 = await transcriberStats(stack);
    for (let i = 0; i < 100; i++) {
      await sleep(50);
      const next = await transcriberStats(stack);
      const stable = next.queueDepth === s1.queueDepth && next.chunksDispatched === s1.chunksDispatched;
      s1 = next;
      if (stable && s1.queueDepth > blockerQueued + 2) break;
    }
    assert.ok(s1.queueDepth > blockerQueued + 2, 'the victim never had chunks waiting');
    controller.abort();
    const err = await expectGrpcError(cancelled);
    assert.equal(err.code, status.CANCELLED);
    const done = await blocker;
    const s2 = await transcriberStats(stack);
    const dropped = s2.chunksCancelled - s1.chunksCancelled;
    assert.ok(dropped >= 3, `only ${dropped} chunks were dropped`);
    // Every chunk waiting at the cancel either ran (the blocker's) or was dropped (the victim's),
    // never both: the victim's queued chunks did not reach the worker.
    assert.equal(s2.chunksDispatched - s1.chunksDispatched, s1.queueDepth - dropped);
    assert.equal(s2.queueDepth, 0);
    assert.ok(s2.chunksDispatched - s0.chunksDispatched >= done.final.chunkCount);
    assert.equal(s2.inFlightRequests, 0, 'the cancelled call is no longer in flight');
  });

  it('restarts a killed worker and retries its batch: the request still completes', async () => {
    const wav = await longCallWav('crash-6.wav', 6);
    const reference = await viaGateway(stack, wav);
    const before = await transcriberStats(stack);
    const running = viaGateway(stack, wav);
    let killedPid = 0;
    for (let i = 0; i < 200 && killedPid === 0; i++) {
      await sleep(25);
      const busy = (await transcriberStats(stack)).workers.find((w) => w.state === 'busy');
      if (busy !== undefined) {
        process.kill(busy.pid, 'SIGKILL');
        killedPid = busy.pid;
      }
    }
    assert.ok(killedPid > 0, 'no worker was busy to kill');
    const result = await running;
    assert.equal(result.final.transcript, reference.final.transcript, 'the retried batch gives the same text');
    const after = await transcriberStats(stack);
    assert.ok(after.batchesRetried > before.batchesRetried);
    assert.ok(after.workers.every((w) => w.pid !== killedPid));
    assert.ok(after.workers.some((w) => w.restarts > 0));
  });

  it('answers RESOURCE_EXHAUSTED when the queue is full, and recovers', async () => {
    const small = await startStack({ workers: 1, batchSize: 1, audioChunkSec: 3, maxQueuedChunks: 6 });
    try {
      // About 2 chunks each: 8 at once overflow a queue of 6 while the one worker is busy.
      const wav = await speechFile('flood.wav', SENTENCES.support, 'en-us+f2', WAV_16K);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => viaGateway(small, wav)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected.length > 0, 'a full queue must push back');
      for (const r of rejected) {
        assert.equal((r.reason as { code: number }).code, status.RESOURCE_EXHAUSTED);
        assert.match((r.reason as { details: string }).details, /queue is full/);
      }
      assert.ok(
        results.some((r) => r.status === 'fulfilled'),
        'requests that fit were served',
      );
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
