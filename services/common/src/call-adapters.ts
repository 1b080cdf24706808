import type { Deadline, handleBidiStreamingCall, handleClientStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import { createCallSignal } from './call-signal.js';
import { toGrpcError } from './grpc-status.js';
import { readMessages, writeMessage } from './message-stream.js';

export interface CallContext {
  /** Aborted on client cancel, deadline or server shutdown; the reason carries the status. */
  signal: AbortSignal;
  /** The client's deadline, to pass on to downstream calls. */
  deadline: Deadline;
}

/**
 * Streaming handlers are written as async generators over the request messages, as nice-grpc does;
 * this adapts one to grpc-js: joins the call's signal, writes with backpressure, maps failures.
 */
export function bidiHandler<Req, Res>(
  shutdown: AbortSignal,
  handler: (requests: AsyncIterable<Req>, context: CallContext) => AsyncIterable<Res>,
): handleBidiStreamingCall<Req, Res> {
  return (call) => {
    const { signal, dispose } = createCallSignal(call, shutdown);
    void (async () => {
      try {
        for await (const response of handler(readMessages<Req>(call, signal), { signal, deadline: call.getDeadline() })) {
          await writeMessage(call, response, signal);
        }
        call.end();
      } catch (err: unknown) {
        if (!call.cancelled) call.emit('error', toGrpcError(signal.aborted ? signal.reason : err));
      } finally {
        dispose();
      }
    })();
  };
}

export function unaryHandler<Req, Res>(
  shutdown: AbortSignal,
  handler: (request: Req, context: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const { signal, dispose } = createCallSignal(call, shutdown);
    handler(call.request, { signal, deadline: call.getDeadline() }).then(
      (response) => callback(null, response),
      (err: unknown) => callback(toGrpcError(signal.aborted ? signal.reason : err)),
    ).finally(dispose);
  };
}

export function clientStreamHandler<Req, Res>(
  shutdown: AbortSignal,
  handler: (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const { signal, dispose } = createCallSignal(call, shutdown);
    handler(readMessages<Req>(call, signal), { signal, deadline: call.getDeadline() })
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toGrpcError(signal.aborted ? signal.reason : err)),
      )
      .finally(dispose);
  };
}
