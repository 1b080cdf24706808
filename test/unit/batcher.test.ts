import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '#common/service-error.js';
import { Batcher, type BatchRunner, type ChunkDecoding } from '../../services/transcriber/src/engine/batcher.js';
import {
  WorkerCrashedError,
  type WorkerBatch,
  type WorkerBatchResult,
} from '../../services/transcriber/src/engine/worker-process.js';

/** English, no prompt, deterministic: what these tests' chunks ask for. */
const en = (wordTimestamps: boolean): ChunkDecoding => ({ language: 'en', wordTimestamps, prompt: '', temperature: 0 });

/**
 * The pool seam, scripted: `workers` engines, each batch held until the test answers it, so the order
 * and make-up of batches is decided by the batcher alone.
 */
function scriptedRunner(workers = 1) {
  let listener = () => {};
  const running: Array<{ batch: WorkerBatch; answer(r: WorkerBatchResult | Error): void }> = [];
  const batches: WorkerBatch[] = [];
  const runner: BatchRunner & { downNow: boolean; reason: string | undefined } = {
    downNow: false,
    reason: undefined,
    get down() {
      return this.downNow;
    },
    get fatalReason() {
      return this.reason;
    },
    get hasIdle() {
      return running.length < workers;
    },
    onAvailable(l) {
      listener = l;
    },
    run(batch) {
      batches.push(batch);
      return new Promise((resolve, reject) => {
        const entry = {
          batch,
          answer: (r: WorkerBatchResult | Error) => {
            running.splice(running.indexOf(entry), 1);
            if (r instanceof Error) reject(r);
            else resolve(r);
            // As the pool does: a worker that comes back free says so.
            queueMicrotask(listener);
          },
        };
        running.push(entry);
      });
    },
  };
  /** Answers the oldest running batch: every item ok with one segment naming its sample count. */
  const finish = (elapsedMs = 100) => {
    const entry = running[0];
    assert.ok(entry !== undefined, 'a batch is running');
    entry.answer({
      elapsedMs,
      items: entry.batch.items.map((i) => ({
        ok: true as const,
        segments: [{ start: 0, end: 1, text: `${i.audio.length}`, words: [] }],
        language: i.language,
        aligned: false,
      })),
    });
  };
  return { runner, batches, running, finish };
}

/** A chunk whose length identifies it: request r, chunk k → r * 1000 + k samples. */
const chunk = (request: number, k: number) => new Float32Array(request * 1000 + k);
const ids = (batch: WorkerBatch | undefined) => batch?.items.map((i) => i.audio.length);
const tick = () => new Promise((r) => setImmediate(r));

describe('batcher (scripted pool)', () => {
  it('takes chunks round-robin across requests, so a long request cannot starve a short one', async () => {
    const { runner, batches, finish } = scriptedRunner();
    const batcher = new Batcher(runner, { batchSize: 2, maxDelayMs: 0 });
    const live = new AbortController().signal;
    const done = [
      ...[1, 2, 3, 4, 5].map((k) => batcher.submit(1, chunk(1, k), en(false), live)),
      ...[1, 2].map((k) => batcher.submit(2, chunk(2, k), en(false), live)),
    ];
    // The first chunk went alone to the idle worker; the rest waited.
    assert.deepEqual(ids(batches[0]), [1001]);
    for (let i = 0; i < 4; i++) {
      finish();
      await tick();
    }
    assert.deepEqual(batches.map(ids), [[1001], [1002, 2001], [1003, 2002], [1004, 1005]]);
    const outcomes = await Promise.all(done);
    assert.deepEqual(
      outcomes.map((o) => o.segments[0]?.text),
      ['1001', '1002', '1003', '1004', '1005', '2001', '2002'],
    );
    assert.equal(batcher.stats.batchesDispatched, 4);
    assert.equal(batcher.queuedAudioSec, 0);
  });

  it('waits up to maxDelayMs for a fuller batch, then sends what it has', async () => {
    const { runner, batches, finish } = scriptedRunner();
    const batcher = new Batcher(runner, { batchSize: 4, maxDelayMs: 40 });
    const live = new AbortController().signal;
    const started = performance.now();
    const done = [batcher.submit(1, chunk(1, 1), en(false), live), batcher.submit(2, chunk(2, 1), en(false), live)];
    assert.equal(batches.length, 0, 'nothing is sent before the delay');
    assert.ok(Math.abs(batcher.queuedAudioSec - 3002 / 16000) < 1e-9, 'queued speech is counted');
    while (batches.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.ok(performance.now() - started >= 35, 'the batch left after the delay');
    assert.deepEqual(ids(batches[0]), [1001, 2001]);
    finish(300);
    const [a, b] = await Promise.all(done);
    assert.ok(
      Math.abs((a?.asrMs ?? 0) - (300 * 1001) / 3002) < 1e-6,
      "each chunk's share of the batch time is by length",
    );
    assert.ok(Math.abs((b?.asrMs ?? 0) - (300 * 2001) / 3002) < 1e-6);
  });

  it('retries a batch whose worker crashed once, ahead of new work; a second crash is UNAVAILABLE', async () => {
    const { runner, batches, running } = scriptedRunner();
    const batcher = new Batcher(runner, { batchSize: 2, maxDelayMs: 0 });
    const live = new AbortController().signal;
    const first = batcher.submit(1, chunk(1, 1), en(false), live);
    const later = batcher.submit(2, chunk(2, 1), en(false), live);
    running[0]?.answer(new WorkerCrashedError('worker exited (SIGKILL)'));
    await tick();
    assert.deepEqual(batches.map(ids), [[1001], [1001]], 'the crashed batch runs again before the waiting chunk');
    assert.equal(batcher.stats.batchesRetried, 1);
    running[0]?.answer(new WorkerCrashedError('worker exited (SIGKILL)'));
    await assert.rejects(first, (e: unknown) => e instanceof ServiceError && e.code === status.UNAVAILABLE);
    await tick();
    assert.deepEqual(ids(batches[2]), [2001], 'the next request is not failed with it');
    running[0]?.answer({
      elapsedMs: 1,
      items: [{ ok: true, segments: [], language: 'en', aligned: false }],
    });
    assert.equal((await later).language, 'en');
  });

  it("settles each chunk of a batch on its own: one chunk's failure is not its neighbours'", async () => {
    const { runner, running } = scriptedRunner();
    const batcher = new Batcher(runner, { batchSize: 2, maxDelayMs: 20 });
    const live = new AbortController().signal;
    const good = batcher.submit(1, chunk(1, 1), en(false), live);
    const bad = batcher.submit(2, chunk(2, 1), en(false), live);
    while (running.length === 0) await new Promise((r) => setTimeout(r, 5));
    running[0]?.answer({
      elapsedMs: 10,
      items: [
        { ok: true, segments: [], language: 'en', aligned: true },
        { ok: false, error: 'audio too short for the model', code: 'invalid_argument' },
      ],
    });
    assert.equal((await good).aligned, true);
    await assert.rejects(
      bad,
      (e: unknown) => e instanceof ServiceError && e.code === status.INVALID_ARGUMENT && /too short/.test(e.message),
    );
  });

  it('drops a cancelled request before any worker sees it, and fails queued work at once when every worker is down', async () => {
    const { runner, batches, finish } = scriptedRunner();
    const batcher = new Batcher(runner, { batchSize: 1, maxDelayMs: 0 });
    const live = new AbortController().signal;
    const running = batcher.submit(1, chunk(1, 1), en(false), live);
    const dropped = [batcher.submit(2, chunk(2, 1), en(false), live), batcher.submit(2, chunk(2, 2), en(false), live)];
    const waiting = batcher.submit(3, chunk(3, 1), en(false), live);
    batcher.cancel(2, new ServiceError(status.CANCELLED, 'client cancelled'));
    for (const d of dropped)
      await assert.rejects(d, (e: unknown) => e instanceof ServiceError && e.code === status.CANCELLED);
    assert.equal(batcher.stats.chunksCancelled, 2);
    runner.downNow = true;
    runner.reason = 'No module named whisperx';
    finish();
    await running;
    await assert.rejects(
      waiting,
      (e: unknown) => e instanceof ServiceError && e.code === status.UNAVAILABLE && /cannot load/.test(e.message),
    );
    assert.deepEqual(batches.map(ids), [[1001]], 'no chunk of the cancelled request reached a worker');
  });
});
