import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Admission } from '#common/admission.js';
import { clientOf } from '#common/call-adapters.js';
import { toGrpcError } from '#common/grpc-status.js';

const refusal = (fn: () => unknown): { code: number; details: string; hint: unknown } => {
  try {
    fn();
  } catch (err: unknown) {
    const e = toGrpcError(err);
    return { code: e.code ?? -1, details: e.details ?? '', hint: e.metadata?.get('retry-after-ms')[0] };
  }
  throw new Error('expected a refusal');
};

describe('admission control', () => {
  it('admits up to the concurrency limit, refuses with RESOURCE_EXHAUSTED and a retry-after-ms trailer, admits again after a release', () => {
    const admission = new Admission({ maxConcurrent: 2, maxPerClient: 0, retryAfterMs: 750 });
    const a = admission.admit('10.0.0.1');
    admission.admit('10.0.0.2');
    const r = refusal(() => admission.admit('10.0.0.3'));
    assert.equal(r.code, status.RESOURCE_EXHAUSTED);
    assert.match(r.details, /running its limit of 2 requests; retry after 750 ms/);
    assert.equal(r.hint, '750');
    a();
    a(); // a second release of the same slot is a no-op, not a free slot
    admission.admit('10.0.0.3');
    assert.equal(refusal(() => admission.admit('10.0.0.4')).code, status.RESOURCE_EXHAUSTED);
    assert.deepEqual(admission.counts, { inFlight: 2, refused: 2 });
  });

  it('limits each client on its own, so one client cannot take every slot', () => {
    const admission = new Admission({ maxConcurrent: 10, maxPerClient: 2, retryAfterMs: 100 });
    const held = [admission.admit('A'), admission.admit('A')];
    assert.match(refusal(() => admission.admit('A')).details, /this client already has 2 requests running/);
    admission.admit('B');
    held[0]?.();
    admission.admit('A');
  });

  it('refuses while the backlog is at its limit', () => {
    let queued = 0;
    const admission = new Admission({
      maxConcurrent: 10,
      maxPerClient: 0,
      retryAfterMs: 100,
      backlog: () => ({ queued, limit: 60, what: 's of speech' }),
    });
    admission.admit('A');
    queued = 61;
    assert.match(refusal(() => admission.admit('A')).details, /61 s of speech already wait \(limit 60\)/);
    queued = 10;
    admission.admit('A');
  });

  it('keys clients by address, not by connection', () => {
    assert.equal(clientOf('ipv4:10.1.2.3:51234'), '10.1.2.3');
    assert.equal(clientOf('10.1.2.3:4'), '10.1.2.3');
    assert.equal(clientOf('[::1]:50051'), '::1');
    assert.equal(clientOf('ipv6:[::ffff:10.0.0.1]:50051'), '10.0.0.1');
  });
});
