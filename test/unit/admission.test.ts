import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { Admission, type AdmissionCaller, type AdmissionLimits } from '#common/admission.js';
import { ServiceRate } from '#common/service-rate.js';
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

describe('admission refuses at once what could not finish in time behind those running', () => {
  /** A service rate on a clock the test moves. */
  const clocked = () => {
    let t = 0;
    return { rate: new ServiceRate(60_000, () => t), tick: (ms: number) => (t += ms) };
  };
  const askBy = (admission: Admission, deadline?: number) => {
    const asking = { ...caller('10.0.0.9'), ...(deadline === undefined ? {} : { deadline }) };
    try {
      return { release: admission.admit(asking) };
    } catch (err: unknown) {
      const e = toGrpcError(err);
      return { code: e.code, details: e.details, hint: Number(asking.trailer.get('retry-after-ms')[0]) };
    }
  };

  /** Admission with refuseLate (unless the limits say otherwise), its rate measured on three requests of `serviceMs` each. */
  const measured = (serviceMs: number, limits: Partial<AdmissionLimits> = {}) => {
    const { rate, tick } = clocked();
    const admission = new Admission(
      { maxConcurrent: 100, maxPerClient: 0, retryAfterMs: 1000, refuseLate: true, ...limits },
      rate,
    );
    for (let i = 0; i < 3; i++) {
      const done = admission.admit(caller('10.0.0.1'));
      tick(serviceMs);
      done();
    }
    return { admission, tick };
  };

  it('measures the service rate on busy time only, and makes no guess before three requests finished', () => {
    const { rate, tick } = clocked();
    rate.started();
    tick(2000);
    rate.finished();
    tick(60_000); // idle: not counted
    assert.equal(rate.perSec, undefined);
    for (let i = 0; i < 2; i++) {
      rate.started();
      tick(2000);
      rate.finished();
    }
    assert.ok(Math.abs((rate.perSec ?? 0) - 0.5) < 0.01, `one request per 2 s of busy time: ${rate.perSec}`);
    rate.started();
    rate.started();
    assert.ok(Math.abs((rate.expectedFinishMs() ?? 0) - 6000) < 100, 'two running and the new one: 3 / 0.5 per s');
  });

  it('refuses a request whose deadline comes before it could finish, with a hint of the difference', () => {
    const { admission } = measured(10_000);
    // 0.1 per s of busy time; four running: a new one would take 50 s.
    for (let i = 0; i < 4; i++) admission.admit(caller('10.0.0.1'));
    const r = askBy(admission, Date.now() + 30_000);
    assert.equal(r.code, status.RESOURCE_EXHAUSTED);
    assert.match(r.details ?? '', /about 50\.0 s behind the 4 running, past its deadline in (29\.9|30\.0) s/);
    assert.ok(r.hint !== undefined && r.hint >= 19_900 && r.hint <= 20_100, `hint ${r.hint}`);
    assert.ok('release' in askBy(admission), 'no deadline and no queue limit: admitted');
    const later = askBy(admission, Date.now() + 70_000);
    assert.ok('release' in later, 'a later deadline is admitted: 60 s behind the 5 running');
  });

  it('refuses a request that would push one already admitted past its deadline, until that one is done', () => {
    const { admission } = measured(10_000);
    // 0.1 per s: the first of two would finish in 10 s alone, 20 s beside the second; 30 s beside a third.
    const { release: releaseFirst } = askBy(admission, Date.now() + 25_000);
    assert.ok(releaseFirst !== undefined, 'the first is admitted');
    assert.ok('release' in askBy(admission));
    const r = askBy(admission);
    assert.equal(r.code, status.RESOURCE_EXHAUSTED, 'no deadline of its own, but it would make the first late');
    assert.match(
      r.details ?? '',
      /push the 2 running to about 30\.0 s, past the nearest of their deadlines in (24\.9|25\.0) s/,
    );
    assert.ok(r.hint !== undefined && r.hint >= 4900 && r.hint <= 5100, `hint ${r.hint}`);
    releaseFirst();
    assert.ok('release' in askBy(admission), 'the first one done: nothing to protect');
  });

  it('admits whatever the estimate when nothing runs, and holds to the configured limit whatever the deadline', () => {
    const { admission, tick } = measured(20_000, { maxQueueWaitMs: 25_000 });
    const { release: alone } = askBy(admission, Date.now() + 1000);
    assert.ok(alone !== undefined, 'nobody ahead: admitted even though the average request took 20 s');
    tick(20_000);
    alone();
    admission.admit(caller('10.0.0.1'));
    const r = askBy(admission);
    assert.match(r.details ?? '', /about 40\.0 s behind the 1 running, past the server's queue limit of 25\.0 s/);
    assert.equal(r.hint, 15_000);
  });

  it("is off unless asked for (the gateway relays the transcribers' refusals instead)", () => {
    const { admission } = measured(20_000, { refuseLate: false });
    admission.admit(caller('10.0.0.1'));
    assert.ok('release' in askBy(admission, Date.now() + 1000));
  });
});
