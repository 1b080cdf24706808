import type { Deadline, handleBidiStreamingCall, handleClientStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import type { ApiKeyCheck } from './auth.js';
import { toGrpcError } from './grpc-status.js';
import { readMessages, writeMessage } from './message-stream.js';
import type { ServiceMetrics } from './metrics.js';
import type { IncomingCall } from './middleware/compose.js';
import { createServiceChain } from './middleware/service-chain.js';

export type { MethodCounts } from './middleware/counts.js';

/** What a handler gets besides its requests; the middlewares (middleware/) fill it in. */
export interface CallContext {
  /** Aborted on client cancel, deadline or server shutdown; the reason carries the status. */
  signal: AbortSignal;
  /** The client's deadline, to pass on to downstream calls. */
  deadline: Deadline;
  /** A valid API key came with the call (false when the server has no keys). */
  authenticated: boolean;
  /** The client's address without its port (one client may open many connections): admission's key. */
  client: string;
  /** Sent with the status, success or failure alike: set `retry-after-ms` here, not on an error. */
  trailer: Metadata;
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
  /** Least audio a streaming client must send per second, over windows of twice the idle timeout; 0 or absent = none. */
  minUploadBytesPerSec?: number;
}

// The window the upload rate is averaged over when no idle timeout sets one.
const RATE_WINDOW_MS = 60_000;

/** "ipv4:10.0.0.5:51234", "10.0.0.5:51234" or "[::1]:51234" → the host part. */
export function clientOf(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const host = /^\[(.*)\]:\d+$/.exec(address)?.[1] ?? /^(.*):\d+$/.exec(address)?.[1] ?? address;
  return host.replace(/^::ffff:/, '');
}

interface ServerCall {
  metadata: Metadata;
  sendMetadata(metadata: Metadata): void;
  getPeer(): string;
  getDeadline(): Deadline;
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/** The call as the middlewares see it: plain fields, so each can pass it on with what it adds. */
function incoming(method: string, requestStream: boolean, call: ServerCall): IncomingCall {
  return {
    method,
    requestStream,
    metadata: call.metadata,
    // Read at the start: once the call is cancelled grpc-js answers "unknown".
    client: clientOf(call.getPeer()),
    deadline: call.getDeadline(),
    trailer: new Metadata(),
    sendHeader: (header) => call.sendMetadata(header),
    on: (event, listener) => call.on(event, listener),
    off: (event, listener) => call.off(event, listener),
  };
}

/**
 * Streaming and unary handlers written as plain async functions and generators (as nice-grpc does),
 * adapted to grpc-js here: each call runs through the service's middleware chain
 * (middleware/service-chain.ts: request id, metrics, access log, status, auth, counts, signal); reads
 * give up on an idle client, writes honour backpressure up to a stall limit, and the call ends with
 * its status and the trailer its context collected.
 */
export function createCallAdapters(shutdown: AbortSignal, options: CallAdapterOptions = {}) {
  const limits = options.limits ?? { idleTimeoutMs: 0, writeStallMs: 0, maxRequestMs: 0 };
  const readOptions = {
    idleTimeoutMs: limits.idleTimeoutMs,
    minBytesPerSec: limits.minUploadBytesPerSec ?? 0,
    // Twice the idle limit: a client that goes quiet is the idle limit's to end, with its own message.
    windowMs: 2 * limits.idleTimeoutMs || RATE_WINDOW_MS,
  };
  const chain = createServiceChain(shutdown, {
    apiKeys: options.apiKeys,
    metrics: options.metrics,
    maxRequestMs: limits.maxRequestMs,
  });
  return {
    counts: chain.counts,
    bidi<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => AsyncIterable<Res>,
    ): handleBidiStreamingCall<Req, Res> {
      return (call) => {
        const context = incoming(method, true, call);
        chain
          .run(context, async (ready) => {
            const requests = readMessages<Req>(call, ready.signal, readOptions);
            for await (const response of handler(requests, ready))
              await writeMessage(call, response, ready.signal, limits.writeStallMs);
          })
          .then(
            () => call.end(context.trailer),
            (err: unknown) => {
              if (!call.cancelled) call.emit('error', { ...toGrpcError(err), metadata: context.trailer });
            },
          );
      };
    },
    unary<Req, Res>(
      method: string,
      handler: (request: Req, context: CallContext) => Promise<Res>,
    ): handleUnaryCall<Req, Res> {
      return (call, callback) => {
        const context = incoming(method, false, call);
        chain
          .run(context, (ready) => handler(call.request, ready))
          .then(
            (response) => callback(null, response, context.trailer),
            (err: unknown) => callback({ ...toGrpcError(err), metadata: context.trailer }),
          );
      };
    },
    clientStream<Req, Res>(
      method: string,
      handler: (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>,
    ): handleClientStreamingCall<Req, Res> {
      return (call, callback) => {
        const context = incoming(method, true, call);
        chain
          .run(context, (ready) => handler(readMessages<Req>(call, ready.signal, readOptions), ready))
          .then(
            (response) => callback(null, response, context.trailer),
            (err: unknown) => callback({ ...toGrpcError(err), metadata: context.trailer }),
          );
      };
    },
  };
}

export type CallAdapters = ReturnType<typeof createCallAdapters>;
