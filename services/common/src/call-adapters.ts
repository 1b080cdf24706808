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

/** Calls of one method: running now, and finished by outcome. */
export interface MethodCounts {
  inFlight: number;
  succeeded: number;
  failed: number;
}

/**
 * Streaming and unary handlers written as plain async functions and generators (as nice-grpc does),
 * adapted to grpc-js in one place: each call gets its joined signal, writes honour backpressure,
 * failures become statuses through toGrpcError, and every call is counted under its method name.
 */
export function createCallAdapters(shutdown: AbortSignal) {
  const counts = new Map<string, MethodCounts>();
  const track = async <T>(
    method: string,
    work: (context: CallContext) => Promise<T>,
    call: Parameters<typeof createCallSignal>[0],
  ): Promise<T> => {
    const c = counts.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 };
    counts.set(method, c);
    const { signal, dispose } = createCallSignal(call, shutdown);
    c.inFlight++;
    try {
      const result = await work({ signal, deadline: call.getDeadline() });
      c.succeeded++;
      return result;
    } catch (err: unknown) {
      c.failed++;
      throw signal.aborted ? signal.reason : err;
    } finally {
      c.inFlight--;
      dispose();
    }
  };
  return {
    counts: (method: string): MethodCounts => counts.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 },
    bidi<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => AsyncIterable<Res>,
    ): handleBidiStreamingCall<Req, Res> {
      return (call) => {
        track(
          method,
          async (context) => {
            for await (const response of handler(readMessages<Req>(call, context.signal), context))
              await writeMessage(call, response, context.signal);
          },
          call,
        ).then(
          () => call.end(),
          (err: unknown) => {
            if (!call.cancelled) call.emit('error', toGrpcError(err));
          },
        );
      };
    },
    unary<Req, Res>(
      method: string,
      handler: (request: Req, context: CallContext) => Promise<Res>,
    ): handleUnaryCall<Req, Res> {
      return (call, callback) => {
        track(method, (context) => handler(call.request, context), call).then(
          (response) => callback(null, response),
          (err: unknown) => callback(toGrpcError(err)),
        );
      };
    },
    clientStream<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>,
    ): handleClientStreamingCall<Req, Res> {
      return (call, callback) => {
        track(method, (context) => handler(readMessages<Req>(call, context.signal), context), call).then(
          (response) => callback(null, response),
          (err: unknown) => callback(toGrpcError(err)),
        );
      };
    },
  };
}

export type CallAdapters = ReturnType<typeof createCallAdapters>;
