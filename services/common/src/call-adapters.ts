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
  /** The client's address without its port (one client may open many connections): admission's key. */
  client: string;
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
  /** Time limits every streaming call gets; absent = none. */
  limits?: CallLimits;
}

/** Per-call time limits; 0 turns one off. */
export interface CallLimits {
  /** Longest wait for a client's next message while the server is ready for it. */
  idleTimeoutMs: number;
  /** Longest a client may leave responses unread once the write buffer is full. */
  writeStallMs: number;
  /** Longest any call may run, whatever deadline the client set. */
  maxRequestMs: number;
}

/** "ipv4:10.0.0.5:51234", "10.0.0.5:51234" or "[::1]:51234" → the host part. */
export function clientOf(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const host = /^\[(.*)\]:\d+$/.exec(address)?.[1] ?? /^(.*):\d+$/.exec(address)?.[1] ?? address;
  return host.replace(/^::ffff:/, '');
}

const STATUS_NAMES = new Map(Object.entries(status).map(([name, code]) => [code, name]));

type ServerCall = Parameters<typeof createCallSignal>[0] & {
  metadata: Metadata;
  sendMetadata(metadata: Metadata): void;
  getPeer(): string;
};

/**
 * Streaming and unary handlers written as plain async functions and generators (as nice-grpc does),
 * adapted to grpc-js in one place: each call is authenticated, gets its joined signal and a request
 * id (logged on every line of the call and sent downstream), writes honour backpressure, failures
 * become statuses through toGrpcError, and every call is counted and timed under its method name.
 */
export function createCallAdapters(shutdown: AbortSignal, options: CallAdapterOptions = {}) {
  const counts = new Map<string, MethodCounts>();
  const limits = options.limits ?? { idleTimeoutMs: 0, writeStallMs: 0, maxRequestMs: 0 };
  interface Started {
    method: string;
    startedAt: number;
    context: RequestContext;
    /** Read at the start: once the call is cancelled grpc-js answers "unknown". */
    client: string;
  }
  const begin = (method: string, call: ServerCall): Started => {
    options.metrics?.callStarted(method);
    const context = { requestId: requestIdFrom(call.metadata), method, authenticated: false };
    // The id goes back at once in the response headers, so a client can quote it before the call ends.
    const headers = new Metadata();
    headers.set(REQUEST_ID_HEADER, context.requestId);
    call.sendMetadata(headers);
    return { method, startedAt: performance.now(), context, client: clientOf(call.getPeer()) };
  };
  const track = <T>(started: Started, work: (context: CallContext) => Promise<T>, call: ServerCall): Promise<T> => {
    const { method, context } = started;
    return runInRequest(context, async () => {
      // Before the per-method counts: a refused caller is not a failed request of the service.
      if (options.apiKeys !== undefined) context.authenticated = authenticate(options.apiKeys, call.metadata);
      const c = counts.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 };
      counts.set(method, c);
      const { signal, dispose } = createCallSignal(call, shutdown, limits.maxRequestMs);
      c.inFlight++;
      try {
        const result = await work({
          signal,
          deadline: call.getDeadline(),
          authenticated: context.authenticated,
          client: started.client,
        });
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
  /**
   * Metrics and one log line per call, with the status it ended with: streaming calls (the requests)
   * at info either way, so every request leaves a line with its request_tag; unary ones at debug.
   */
  const finish = (started: Started, err?: unknown, streaming = true) =>
    runInRequest(started.context, () => {
      const grpcError = err === undefined ? undefined : toGrpcError(err);
      const code = STATUS_NAMES.get(grpcError?.code ?? status.OK) ?? 'UNKNOWN';
      const seconds = (performance.now() - started.startedAt) / 1000;
      options.metrics?.callFinished(started.method, code, seconds);
      const fields = { method: started.method, client: started.client, code, ms: Math.round(seconds * 1000) };
      if (grpcError === undefined) (streaming ? log.info : log.debug)('call finished', fields);
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
            const requests = readMessages<Req>(call, context.signal, { idleTimeoutMs: limits.idleTimeoutMs });
            for await (const response of handler(requests, context))
              await writeMessage(call, response, context.signal, limits.writeStallMs);
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
            finish(started, undefined, false);
            callback(null, response);
          },
          (err: unknown) => callback(finish(started, err, false) ?? null),
        );
      };
    },
    clientStream<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>,
    ): handleClientStreamingCall<Req, Res> {
      return (call, callback) => {
        const started = begin(method, call);
        const read = (context: CallContext) =>
          readMessages<Req>(call, context.signal, { idleTimeoutMs: limits.idleTimeoutMs });
        track(started, (context) => handler(read(context), context), call).then(
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
