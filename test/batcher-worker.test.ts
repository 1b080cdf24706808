import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Batcher, type ChunkDecoding } from '../services/transcriber/src/engine/batcher.js';
import { WorkerPool } from '../services/transcriber/src/engine/worker-pool.js';

/** English, no prompt, deterministic: what these tests' chunks ask for. */
const en = (wordTimestamps: boolean): ChunkDecoding => ({ language: 'en', wordTimestamps, prompt: '', temperature: 0 });

const WORKER_DIR = fileURLToPath(new URL('../../services/transcriber/worker', import.meta.url));
const second = () => new Float32Array(16000);

describe('batcher (one real sphinx worker)', () => {
  let pool: WorkerPool;
  before(async () => {
    pool = new WorkerPool(1, {
      pythonPath: '/usr/bin/python3',
      workerDir: WORKER_DIR,
      backend: 'sphinx',
      startTimeoutMs: 60_000,
    });
    await pool.start();
  });
  after(() => pool.stop(2000));

  it('queues every chunk of an admitted request, counts its queued audio, and drops a cancelled request before any worker', async () => {
    const batcher = new Batcher(pool, { batchSize: 4, maxDelayMs: 0 });
    const live = new AbortController();
    // The first chunk goes straight to the idle worker; the next two wait behind it.
    const running = batcher.submit(1, second(), en(true), live.signal);
    const queued = [
      batcher.submit(2, second(), en(true), live.signal),
      batcher.submit(2, second(), en(true), live.signal),
    ];
    for (const q of queued) q.catch(() => {});
    assert.equal(batcher.queuedAudioSec, 2, 'two seconds of audio wait behind the running chunk');
    batcher.cancel(2, new Error('client went away'));
    assert.equal(batcher.queuedAudioSec, 0);
    for (const q of queued) await assert.rejects(q, /client went away/);
    assert.equal(batcher.stats.chunksCancelled, 2);
    const outcome = await running;
    // sphinx may hear a word in digital silence; what matters here is that the chunk was answered.
    assert.ok(Array.isArray(outcome.segments));
    assert.equal(outcome.language, 'en', 'the worker reports the language it used');
    assert.equal(batcher.stats.chunksDispatched, 1, 'the cancelled chunks never reached the worker');
  });

  it('packs chunks of several requests into one batch while the worker is busy', async () => {
    const batcher = new Batcher(pool, { batchSize: 4, maxDelayMs: 0 });
    const signal = new AbortController().signal;
    const first = batcher.submit(10, second(), en(true), signal);
    const rest = [11, 11, 11, 12].map((id) => batcher.submit(id, second(), en(true), signal));
    await Promise.all([first, ...rest]);
    assert.deepEqual(
      [...batcher.stats.batchSizes].sort(),
      [
        [1, 1],
        [4, 1],
      ].sort(),
    );
  });
});
