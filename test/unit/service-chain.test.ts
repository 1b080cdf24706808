import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { Admission } from '#common/admission.js';
import { createApiKeyCheck } from '#common/auth.js';
import { toGrpcError } from '#common/grpc-status.js';
import { createServiceMetrics } from '#common/metrics.js';
import { createServiceChain } from '#common/middleware/service-chain.js';
import { currentRequest } from '#common/request-context.js';
import { incomingCall } from '../support/incoming-call.js';

const KEY = 'chain-test-key-0123456789';

async function requestsTotal(metrics: ReturnType<typeof createServiceMetrics>, method: string, code: string) {
  const metric = await metrics.registry.getSingleMetric('callscribe_grpc_requests_total')?.get();
  return metric?.values.find((v) => v.labels['method'] === method && v.labels['code'] === code)?.value ?? 0;
}

describe('the service chain (what every call of both services passes)', () => {
  it('refuses a call without a key before counting it, yet shows it in metrics by its status', async () => {
    const metrics = createServiceMetrics('gateway');
    const chain = createServiceChain(new AbortController().signal, {
      apiKeys: createApiKeyCheck([KEY]),
      metrics,
      maxRequestMs: 0,
    });
    const { call, sentHeaders } = incomingCall();
    let ran = false;
    try {
      await chain.run(call, async () => {
        ran = true;
      });
      assert.fail('expected UNAUTHENTICATED');
    } catch (err: unknown) {
      assert.equal(toGrpcError(err).code, status.UNAUTHENTICATED);
    }
    assert.equal(ran, false);
    assert.equal(sentHeaders.length, 1, 'even a refused call gets its request id header');
    assert.deepEqual(chain.counts('transcribe'), { inFlight: 0, succeeded: 0, failed: 0 });
    assert.equal(await requestsTotal(metrics, 'transcribe', 'UNAUTHENTICATED'), 1);
  });

  it('gives an authenticated handler its signal, request context and counts', async () => {
    const metrics = createServiceMetrics('transcriber');
    const chain = createServiceChain(new AbortController().signal, {
      apiKeys: createApiKeyCheck([KEY]),
      metrics,
      maxRequestMs: 0,
    });
    const { call } = incomingCall({ headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'r-1' } });
    const seen = await chain.run(call, async (context) => ({
      authenticated: context.authenticated,
      aborted: context.signal.aborted,
      request: currentRequest(),
      counts: chain.counts('transcribe'),
    }));
    assert.deepEqual(seen, {
      authenticated: true,
      aborted: false,
      request: { requestId: 'r-1', method: 'transcribe', authenticated: true },
      counts: { inFlight: 1, succeeded: 0, failed: 0 },
    });
    assert.deepEqual(chain.counts('transcribe'), { inFlight: 0, succeeded: 1, failed: 0 });
    assert.equal(await requestsTotal(metrics, 'transcribe', 'OK'), 1);
  });

  it('an admission refusal leaves its retry hint on the call trailer, not on the error', async () => {
    const metrics = createServiceMetrics('gateway');
    const chain = createServiceChain(new AbortController().signal, { metrics, maxRequestMs: 0 });
    const admission = new Admission({ maxConcurrent: 0, maxPerClient: 0, retryAfterMs: 1000 });
    const { call } = incomingCall();
    try {
      await chain.run(call, async (context) => admission.admit(context)());
      assert.fail('expected RESOURCE_EXHAUSTED');
    } catch (err: unknown) {
      const sent = toGrpcError(err);
      assert.equal(sent.code, status.RESOURCE_EXHAUSTED);
      assert.match(sent.details, /retry after 1000 ms with backoff/);
      assert.deepEqual(sent.metadata.toJSON(), new Metadata().toJSON(), 'the error carries no trailer');
    }
    assert.equal(call.trailer.get('retry-after-ms')[0], '1000');
    assert.deepEqual(chain.counts('transcribe'), { inFlight: 0, succeeded: 0, failed: 1 });
    assert.equal(await requestsTotal(metrics, 'transcribe', 'RESOURCE_EXHAUSTED'), 1);
  });
});
