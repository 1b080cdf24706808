import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { toGrpcError } from '#common/grpc-status.js';
import { callSignal } from '#common/middleware/call-signal.js';
import { type CallMiddleware, composeMiddleware, middlewareChain } from '#common/middleware/compose.js';
import { createCallCounts } from '#common/middleware/counts.js';
import { errorStatus } from '#common/middleware/error-status.js';
import { requestId } from '#common/middleware/request-id.js';
import { currentRequest } from '#common/request-context.js';
import { ServiceError } from '#common/service-error.js';
import { incomingCall } from '../support/incoming-call.js';

/** A middleware that notes when it starts and ends and adds `name: true` to the context. */
function recording<Name extends string>(name: Name, log: string[]): CallMiddleware<Record<Name, true>> {
  return async (context, next) => {
    log.push(`${name} in`);
    try {
      return await next({ ...context, [name]: true } as typeof context & Record<Name, true>);
    } finally {
      log.push(`${name} out`);
    }
  };
}

const failureOf = async (work: Promise<unknown>) => {
  // The call signal's timers are unref'd (they must not keep a server alive): this one holds the loop.
  const keepAlive = setTimeout(() => {}, 5000);
  try {
    await work;
  } catch (err: unknown) {
    return toGrpcError(err);
  } finally {
    clearTimeout(keepAlive);
  }
  throw new Error('expected the call to fail');
};

describe('call middleware', () => {
  it('composes in order: the outer runs first and ends last, the inner sees what the outer added', async () => {
    const log: string[] = [];
    const both = composeMiddleware(recording('outer', log), recording('inner', log));
    const seen = await both(incomingCall().call, async (context) => {
      log.push('handler');
      return [context.outer, context.inner];
    });
    assert.deepEqual(seen, [true, true]);
    assert.deepEqual(log, ['outer in', 'inner in', 'handler', 'inner out', 'outer out']);

    const chained: string[] = [];
    const chain = middlewareChain()
      .use(recording('a', chained))
      .use(recording('b', chained))
      .use(recording('c', chained));
    await chain.run(incomingCall().call, async () => chained.push('handler'));
    assert.deepEqual(chained, ['a in', 'b in', 'c in', 'handler', 'c out', 'b out', 'a out']);
  });

  it('request id: the client id is kept, sent back at once, and visible to everything the call runs', async () => {
    const { call, sentHeaders } = incomingCall({ headers: { 'x-request-id': 'client-id-42' } });
    const inside = await requestId()(call, async (context) => {
      assert.equal(sentHeaders.length, 1, 'the header went out before the handler ran');
      await new Promise((resolve) => setImmediate(resolve));
      return { context: context.request.requestId, current: currentRequest()?.requestId };
    });
    assert.deepEqual(inside, { context: 'client-id-42', current: 'client-id-42' });
    assert.equal(sentHeaders[0]?.get('x-request-id')[0], 'client-id-42');
    assert.equal(currentRequest(), undefined, 'the context ends with the call');

    const odd = incomingCall({ headers: { 'x-request-id': 'no spaces allowed' } });
    await requestId()(odd.call, async () => undefined);
    assert.match(String(odd.sentHeaders[0]?.get('x-request-id')[0]), /^[0-9a-f-]{36}$/);
  });

  it('counts: in flight while running, then succeeded or failed; a method never called reads zeros', async () => {
    const counts = createCallCounts();
    let release = () => {};
    const running = counts.middleware(incomingCall().call, () => new Promise<void>((resolve) => (release = resolve)));
    assert.deepEqual(counts.counts('transcribe'), { inFlight: 1, succeeded: 0, failed: 0 });
    release();
    await running;
    await assert.rejects(counts.middleware(incomingCall().call, async () => Promise.reject(new Error('boom'))));
    assert.deepEqual(counts.counts('transcribe'), { inFlight: 0, succeeded: 1, failed: 1 });
    assert.deepEqual(counts.counts('getStats'), { inFlight: 0, succeeded: 0, failed: 0 });
  });

  it('call signal: a cancel aborts the signal and becomes the status; listeners are removed at the end', async () => {
    const { call, cancel, listeners } = incomingCall();
    const shutdown = new AbortController();
    const failure = await failureOf(
      callSignal(shutdown.signal, 0)(call, async ({ signal }) => {
        cancel();
        assert.equal(signal.aborted, true);
        throw new Error('the stream closed'); // what a handler sees: replaced by the signal's reason
      }),
    );
    assert.deepEqual([failure.code, failure.details], [status.CANCELLED, 'cancelled by the client']);
    assert.equal(listeners(), 0);

    const capped = await failureOf(
      callSignal(shutdown.signal, 20)(
        incomingCall().call,
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      ),
    );
    assert.equal(capped.code, status.DEADLINE_EXCEEDED);
    assert.match(capped.details, /past the server's limit of 0.02 s/);

    const late = await failureOf(
      callSignal(shutdown.signal, 0)(
        incomingCall({ deadline: Date.now() + 10 }).call,
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      ),
    );
    assert.deepEqual([late.code, late.details], [status.DEADLINE_EXCEEDED, 'deadline exceeded']);
  });

  it('error status: an unexpected error becomes INTERNAL without its text; a downstream retry hint joins the trailer', async () => {
    const { call } = incomingCall();
    const hidden = await failureOf(
      errorStatus()(call, async () => Promise.reject(new Error('secret internals at /srv/x.ts:12'))),
    );
    assert.deepEqual([hidden.code, hidden.details], [status.INTERNAL, 'internal error (logged on the server)']);

    // How grpc-js reports a downstream status: an Error with code, details and the trailing metadata.
    const downstreamTrailer = new Metadata();
    downstreamTrailer.set('retry-after-ms', '1000');
    const refused = Object.assign(new Error('8 RESOURCE_EXHAUSTED: overloaded'), {
      code: status.RESOURCE_EXHAUSTED,
      details: 'overloaded',
      metadata: downstreamTrailer,
    });
    const forwarded = await failureOf(errorStatus()(call, async () => Promise.reject(refused)));
    assert.deepEqual([forwarded.code, forwarded.details], [status.RESOURCE_EXHAUSTED, 'overloaded']);
    assert.equal(call.trailer.get('retry-after-ms')[0], '1000');
  });

  it('trailer: what the handler sets stays on the context the adapter sends, on success and on failure', async () => {
    const chain = middlewareChain().use(errorStatus());
    const ok = incomingCall();
    await chain.run(ok.call, async (context) => context.trailer.set('x-cost-ms', '12'));
    assert.equal(ok.call.trailer.get('x-cost-ms')[0], '12');

    const failed = incomingCall();
    await assert.rejects(
      chain.run(failed.call, async (context) => {
        context.trailer.set('retry-after-ms', '250');
        throw new ServiceError(status.RESOURCE_EXHAUSTED, 'busy');
      }),
    );
    assert.equal(failed.call.trailer.get('retry-after-ms')[0], '250');
  });
});
