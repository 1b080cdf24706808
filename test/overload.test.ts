import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { peakSampler, runOpenLoop } from '#dev/open-loop.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { startStack, transcriberStats, viaGateway, type Stack } from './support/stack.js';

const MB = 1024 * 1024;

/** Requests per second the stack finishes, measured here on this machine as loaded now: two at a time, twice. */
async function measureCapacity(stack: Stack, wav: Buffer): Promise<number> {
  const config = { language: 'en' };
  await viaGateway(stack, wav, { config });
  const t0 = performance.now();
  for (let i = 0; i < 2; i++)
    await Promise.all([viaGateway(stack, wav, { config }), viaGateway(stack, wav, { config })]);
  return 4 / ((performance.now() - t0) / 1000);
}

describe('overload at 3x capacity: refused at the door, admitted work finishes, memory bounded', () => {
  let stack: Stack;
  before(async () => {
    // One worker and two requests at a time: capacity is small, so 3x of it is cheap to send.
    stack = await startStack({ workers: 1, maxConcurrentRequests: 2 });
  });
  after(() => stack.stop());

  it('answers RESOURCE_EXHAUSTED with a retry hint, loses no request, keeps accepted latency and RSS bounded', async () => {
    const wav = await speechFile('overload.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
    const config = { language: 'en' };
    const capacityPerSec = await measureCapacity(stack, wav);
    const serviceMs = 2000 / capacityPerSec;
    const baseline = process.memoryUsage().rss;
    const rss = peakSampler(() => process.memoryUsage().rss, 20);
    const outcomes = await runOpenLoop({
      open: (o) => stack.gatewayClient.streamTranscribe(o),
      audio: wav,
      rate: 3 * capacityPerSec,
      count: 12,
      // Generous, so a miss means queueing without bound, not a slow machine.
      deadlineMs: Math.max(30_000, 20 * serviceMs),
      config,
    });
    const peakMb = (rss.stop() - baseline) / MB;
    const accepted = outcomes.filter((o) => o.code === status.OK);
    const refused = outcomes.filter((o) => o.code === status.RESOURCE_EXHAUSTED);
    const lost = outcomes.filter((o) => o.code !== status.OK && o.code !== status.RESOURCE_EXHAUSTED);
    assert.equal(lost.length, 0, `lost: ${lost.map((o) => status[o.code]).join(', ')}`);
    assert.ok(refused.length > 0, 'at 3x capacity some requests must be refused');
    assert.ok(accepted.length >= 2, `only ${accepted.length} accepted`);
    for (const r of refused) assert.equal(r.retryAfterMs, 1000);
    // Admitted at most 2 at a time, an accepted request waits for at most one other: a few service times.
    const worstMs = Math.max(...accepted.map((o) => o.latencyMs));
    assert.ok(
      worstMs < 8 * serviceMs + 3000,
      `accepted latency ${worstMs.toFixed(0)} ms, service ${serviceMs.toFixed(0)} ms`,
    );
    assert.ok(peakMb < 150, `RSS grew by ${peakMb.toFixed(0)} MB under overload`);
    const stats = await transcriberStats(stack);
    assert.equal(stats.inFlightRequests, 0);
    assert.ok(Number(stats.requestsRefused) >= refused.length);
  });
});

describe('overload at 3x capacity with the default limits: refused at once when it could not finish in time', () => {
  let stack: Stack;
  before(async () => {
    // The default concurrency (128): only the wait estimate stands between the queue and the deadlines.
    stack = await startStack({ workers: 1 });
  });
  after(() => stack.stop());

  it('admits only what can finish before its deadline, and refuses the rest before it costs anything', async (t) => {
    const wav = await speechFile('overload-late.wav', SENTENCES.support, 'en-us+f2', WAV_16K);
    const config = { language: 'en' };
    const capacityPerSec = await measureCapacity(stack, wav);
    const serviceMs = 1000 / capacityPerSec;
    // Six requests' worth of queue fits in a deadline; the rest of 24 sent at 3x capacity does not.
    const deadlineMs = Math.max(6 * serviceMs, 5000);
    const outcomes = await runOpenLoop({
      open: (o) => stack.gatewayClient.streamTranscribe(o),
      audio: wav,
      rate: 3 * capacityPerSec,
      count: 24,
      deadlineMs,
      config,
    });
    const by = (code: number) => outcomes.filter((o) => o.code === code);
    const summary = `ok ${by(status.OK).length}, refused ${by(status.RESOURCE_EXHAUSTED).length}, late ${by(status.DEADLINE_EXCEEDED).length} (service ${serviceMs.toFixed(0)} ms, deadline ${deadlineMs.toFixed(0)} ms)`;
    t.diagnostic(summary);
    assert.ok(by(status.RESOURCE_EXHAUSTED).length > 0, `some must be refused: ${summary}`);
    assert.ok(by(status.OK).length >= 4, `enough admitted: ${summary}`);
    // A miss or two at the edge of the estimate is tolerated on a shared machine; a queue without bound is not.
    assert.ok(by(status.DEADLINE_EXCEEDED).length <= 2, `admitted requests missed their deadline: ${summary}`);
    for (const r of by(status.RESOURCE_EXHAUSTED)) {
      assert.ok(r.latencyMs < 2000, `refused at once, not after waiting: ${r.latencyMs.toFixed(0)} ms`);
      assert.ok((r.retryAfterMs ?? 0) >= 1000, 'with a hint of when to come back');
    }
    const lost = outcomes.filter(
      (o) => ![status.OK, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED].includes(o.code),
    );
    assert.equal(lost.length, 0, `lost: ${lost.map((o) => status[o.code]).join(', ')}`);
  });
});
