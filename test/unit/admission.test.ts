import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { Admission, type AdmissionCaller } from '#common/admission.js';
import { clientOf } from '#common/call-adapters.js';
import { toGrpcError } from '#common/grpc-status.js';

// As a call's context: the client's address and the trailer sent with the status.
const caller = (client: string): AdmissionCaller & { trailer: Metadata } => ({ client, trailer: new Metadata() });

const refusal = (admission: Admission, client: string) => {
  const asking = caller(client);
  try {
    admission.admit(asking);
  } catch (err: unknown) {
    const e = toGrpcError(err);
    return { code: e.code, details: e.details, hint: asking.trailer.get('retry-after-ms')[0] };
  }
  throw new Error('expected a refusal');
};

describe('admission control', () => {
  it('admits up to the concurrency limit, refuses with RESOURCE_EXHAUSTED and a retry-after-ms trailer, admits again after a release', () => {
    const admission = new Admission({ maxConcurrent: 2, maxPerClient: 0, retryAfterMs: 750 });
    const a = admission.admit(caller('10.0.0.1'));
    admission.admit(caller('10.0.0.2'));
    const r = refusal(admission, '10.0.0.3');
    assert.equal(r.code, status.RESOURCE_EXHAUSTED);
    assert.match(r.details, /running its limit of 2 requests; retry after 750 ms/);
    assert.equal(r.hint, '750');
    a();
    a(); // a second release of the same slot is a no-op, not a free slot
    admission.admit(caller('10.0.0.3'));
    assert.equal(refusal(admission, '10.0.0.4').code, status.RESOURCE_EXHAUSTED);
    assert.deepEqual(admission.counts, { inFlight: 2, refused: 2 });
  });

  it('limits each client on its own, so one client cannot take every slot', () => {
    const admission = new Admission({ maxConcurrent: 10, maxPerClient: 2, retryAfterMs: 100 });
    const held = [admission.admit(caller('A')), admission.admit(caller('A'))];
    assert.match(refusal(admission, 'A').details, /this client already has 2 requests running/);
    admission.admit(caller('B'));
    held[0]?.();
    admission.admit(caller('A'));
  });

  it('refuses while the backlog is at its limit', () => {
    let queued = 0;
    const admission = new Admission({
      maxConcurrent: 10,
      maxPerClient: 0,
      retryAfterMs: 100,
      backlog: () => ({ queued, limit: 60, what: 's of speech' }),
    });
    admission.admit(caller('A'));
    queued = 61;
    assert.match(refusal(admission, 'A').details, /61 s of speech already wait \(limit 60\)/);
    queued = 10;
    admission.admit(caller('A'));
  });

  it('keys clients by address, not by connection', () => {
    assert.equal(clientOf('ipv4:10.1.2.3:51234'), '10.1.2.3');
    assert.equal(clientOf('10.1.2.3:4'), '10.1.2.3');
    assert.equal(clientOf('[::1]:50051'), '::1');
    assert.equal(clientOf('ipv6:[::ffff:10.0.0.1]:50051'), '10.0.0.1');
  });
});
