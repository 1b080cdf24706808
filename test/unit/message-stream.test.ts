import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { readMessages } from '#common/message-stream.js';
import { ServiceError } from '#common/service-error.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `bytes`-byte messages every `everyMs` until `count` are sent, then ends (unless told not to). */
async function drip(stream: PassThrough, bytes: number, everyMs: number, count: number, end = true) {
  for (let i = 0; i < count && !stream.destroyed; i++) {
    stream.write(Buffer.alloc(bytes));
    await sleep(everyMs);
  }
  if (end) stream.end();
}

async function readAll(stream: PassThrough, options: Parameters<typeof readMessages>[2]): Promise<number> {
  let n = 0;
  for await (const m of readMessages<Buffer>(stream, new AbortController().signal, options)) n += m.length;
  return n;
}

describe('readMessages: the minimum upload rate', () => {
  it('ends a slow-drip stream with DEADLINE_EXCEEDED that says what was sent and what is expected', async () => {
    const stream = new PassThrough({ objectMode: true });
    void drip(stream, 1, 100, 30, false);
    const started = performance.now();
    await assert.rejects(
      readAll(stream, { minBytesPerSec: 100, windowMs: 1000 }),
      (e: unknown) =>
        e instanceof ServiceError &&
        e.code === status.DEADLINE_EXCEEDED &&
        /sent \d+ bytes of audio in 1\.\d s, under the server's minimum of 100 bytes\/s/.test(e.message),
    );
    const ms = performance.now() - started;
    assert.ok(ms >= 950 && ms < 2500, `ended after one window: ${ms.toFixed(0)} ms`);
    stream.destroy();
  });

  it('lets a stream at the rate through, and stops checking once the upload ended', async () => {
    const stream = new PassThrough({ objectMode: true });
    void drip(stream, 50, 100, 15);
    assert.equal(await readAll(stream, { minBytesPerSec: 100, windowMs: 500 }), 750);
  });

  it('does not count time the reader held the stream paused (its own backpressure)', async () => {
    const stream = new PassThrough({ objectMode: true, highWaterMark: 1 });
    for (let i = 0; i < 4; i++) stream.write(Buffer.alloc(100));
    stream.end();
    let n = 0;
    // A slow consumer: far below 100 bytes/s if the pauses counted, but the client is not to blame.
    for await (const m of readMessages<Buffer>(stream, new AbortController().signal, {
      highWater: 2,
      minBytesPerSec: 1000,
      windowMs: 300,
    })) {
      n += m.length;
      await sleep(400);
    }
    assert.equal(n, 400);
  });
});
