import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { peakSampler, runOpenLoop } from '#dev/open-loop.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { startStack, transcriberStats, viaGateway, type Stack } from './support/stack.js';

const MB = 1024 * 1024;

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
    // Capacity measured here, on this machine as loaded now: two at a time, twice.
    await viaGateway(stack, wav, { config });
    const t0 = performance.now();
    for (let i = 0; i < 2; i++)
      await Promise.all([viaGateway(stack, wav, { config }), viaGateway(stack, wav, { config })]);
    const capacityPerSec = 4 / ((performance.now() - t0) / 1000);
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
