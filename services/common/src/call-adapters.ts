import type { Deadline, handleBidiStreamingCall, handleClientStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import { Metadata, status } from '@grpc/grpc-js';
import { authenticate, type ApiKeyCheck } from './auth.js';
import { createCallSignal } from './call-signal.js';
import { toGrpcError } from './grpc-status.js';
import { log } from './log.js';
import { readMessages, writeMessage } from './message-stream.js';
import type { ServiceMetrics } from './metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest, type RequestContext } from './request-context.js';

export interface CallContext {
  /** Aborted on client cancel, deadline or server shutdown; the reason carries the status. */
  signal: AbortSignal;
  /** The client's deadline, to pass on to downstream calls. */
  deadline: Deadline;
  /** A valid API key came with the call (false when the server has no keys). */
  authenticated: boolean;
}

/** Calls of one method: running now, and finished by outcome. */
export interface MethodCounts {
  inFlight: number;
  succeeded: number;
  failed: number;
}

export interface CallAdapterOptions {
  /** API keys: every call must carry one (UNAUTHENTICATED otherwise) when any is configured. */
  apiKeys?: ApiKeyCheck;
  metrics?: ServiceMetrics;
}

const STATUS_NAMES = new Map(Object.entries(status).map(([name, code]) => [code, name]));

type ServerCall = Parameters<typeof createCallSignal>[0] & {
  metadata: Metadata;
  sendMetadata(metadata: Metadata): void;
};

/**
 * Streaming and unary handlers written as plain async functions and generators (as nice-grpc does),
 * adapted to grpc-js in one place: each call is authenticated, gets its joined signal and a request
 * id (logged on every line of the call and sent downstream), writes honour backpressure, failures
 * become statuses through toGrpcError, and every call is counted and timed under its method name.
 */
export function createCallAdapters(shutdown: AbortSignal, options: CallAdapterOptions = {}) {
  const counts = new Map<string, MethodCounts>();
  interface Started {
    method: string;
    startedAt: number;
    context: RequestContext;
  }
  const begin = (method: string, call: ServerCall): Started => {
    options.metrics?.callStarted(method);
    const context = { requestId: requestIdFrom(call.metadata), method, authenticated: false };
    // The id goes back at once in the response headers, so a client can quote it before the call ends.
    const headers = new Metadata();
    headers.set(REQUEST_ID_HEADER, context.requestId);
    call.sendMetadata(headers);
    return { method, startedAt: performance.now(), context };
  };
  const track = <T>(started: Started, work: (context: CallContext) => Promise<T>, call: ServerCall): Promise<T> => {
    const { method, context } = started;
    return runInRequest(context, async () => {
      // Before the per-method counts: a refused caller is not a failed request of the service.
      if (options.apiKeys !== undefined) context.authenticated = authenticate(options.apiKeys, call.metadata);
      const c = counts.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 };
      counts.set(method, c);
      const { signal, dispose } = createCallSignal(call, shutdown);
      c.inFlight++;
      try {
        const result = await work({ signal, deadline: call.getDeadline(), authenticated: context.authenticated });
        c.succeeded++;
        return result;
      } catch (err: unknown) {
        c.failed++;
        throw signal.aborted ? signal.reason : err;
      } finally {
        c.inFlight--;
        dispose();
      }
    });
  };
  /** Metrics and one log line per call, with the status it ended with. */
  const finish = (started: Started, err?: unknown) =>
    runInRequest(started.context, () => {
      const grpcError = err === undefined ? undefined : toGrpcError(err);
      const code = STATUS_NAMES.get(grpcError?.code ?? status.OK) ?? 'UNKNOWN';
      const seconds = (performance.now() - started.startedAt) / 1000;
      options.metrics?.callFinished(started.method, code, seconds);
      const fields = { method: started.method, code, ms: Math.round(seconds * 1000) };
      if (grpcError === undefined) log.debug('call finished', fields);
      else log.info('call failed', { ...fields, details: grpcError.details });
      return grpcError;
    });
  return {
    counts: (method: string): MethodCounts => counts.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 },
    bidi<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => AsyncIterable<Res>,
    ): handleBidiStreamingCall<Req, Res> {
      return (call) => {
        const started = begin(method, call);
        track(
          started,
          async (context) => {
            for await (const response of handler(readMessages<Req>(call, context.signal), context))
              await writeMessage(call, response, context.signal);
          },
          call,
        ).then(
          () => {
            finish(started);
            call.end();
          },
          (err: unknown) => {
            const grpcError = finish(started, err);
            if (!call.cancelled && grpcError !== undefined) call.emit('error', grpcError);
          },
        );
      };
    },
    unary<Req, Res>(
      method: string,
      handler: (request: Req, context: CallContext) => Promise<Res>,
    ): handleUnaryCall<Req, Res> {
      return (call, callback) => {
        const started = begin(method, call);
        track(started, (context) => handler(call.request, context), call).then(
          (response) => {
            finish(started);
            callback(null, response);
          },
          (err: unknown) => callback(finish(started, err) ?? null),
        );
      };
    },
    clientStream<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>,
    ): handleClientStreamingCall<Req, Res> {
      return (call, callback) => {
        const started = begin(method, call);
        track(started, (context) => handler(readMessages<Req>(call, context.signal), context), call).then(
          (response) => {
            finish(started);
            callback(null, response);
          },
          (err: unknown) => callback(finish(started, err) ?? null),
        );
      };
    },
  };
}

export type CallAdapters = ReturnType<typeof createCallAdapters>;
