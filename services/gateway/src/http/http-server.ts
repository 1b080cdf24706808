import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AdmissionCaller } from '#common/admission.js';
import { clientIdentity, type ApiKeyCheck } from '#common/auth.js';
import type { ServiceMetrics } from '#common/metrics.js';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import { Metadata, status } from '@grpc/grpc-js';
import { RETRY_AFTER_TRAILER } from '#common/grpc-status.js';
import { log } from '#common/log.js';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest, type RequestContext } from '#common/request-context.js';
import type { RawTranscriberClient } from '../passthrough-methods.js';
import { authorizeHttp } from './authorize.js';
import type { HttpReply, Route } from './http-exchange.js';
import { HttpError, payloadTooLarge, toHttpFailure } from './http-status.js';
import { createRequestSignal } from './request-signal.js';
import { errorBody, route } from './router.js';

export interface HttpEndpointOptions {
  /** host:port; port 0 picks an ephemeral one. */
  listen: string;
  maxUploadBytes: number;
  timeoutMs: number;
  /** The gRPC API's keys: required here too when there are any. */
  apiKeys: ApiKeyCheck;
  /** Where each answered request is counted (the gateway's /metrics). */
  metrics: Pick<ServiceMetrics, 'httpRequestFinished'>;
  /** HTTPS with these (see https-options.ts); plaintext when undefined. */
  tls: ServerOptions | undefined;
  transcriber(): RawTranscriberClient;
  /** The gateway's admission (shared with gRPC): a slot for this client address, or RESOURCE_EXHAUSTED. */
  admit?(caller: AdmissionCaller): () => void;
  /** Whether a transcriber is ready (GET /health); always when not given. */
  ready?(): boolean;
  /** The engines the transcribers report (GET /v1/models); none when not given. */
  engines?(): Promise<EngineInfo[]>;
}

export interface HttpEndpoint {
  /** host:port as bound. */
  address: string;
  /** Requests being answered now. */
  inFlight(): number;
  /**
   * Stops accepting and lets running requests finish for the grace time; those still running just
   * before it ends are answered 503, as gRPC calls are aborted with UNAVAILABLE. Then every socket closes.
   */
  close(graceMs: number): Promise<void>;
}

function send(req: IncomingMessage, res: ServerResponse, reply: HttpReply, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  // A body left unread (refused early) must not be parsed as the next request on this connection.
  if (!req.complete) res.setHeader('Connection', 'close');
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    ...headers,
  });
  res.end(reply.body);
  // Read and drop the rest (away from the parser) so the client reads this answer, not a reset connection.
  if (!req.complete) {
    req.unpipe();
    req.resume();
  }
}

/** The gateway's HTTP edge: node:http, routes in router.ts, errors mapped in http-status.ts. */
export async function startHttpEndpoint(options: HttpEndpointOptions): Promise<HttpEndpoint> {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const draining = new AbortController();

  // Each request gets an id as a gRPC call does: logged on its lines, sent to the transcriber and back.
  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const sent = req.headers[REQUEST_ID_HEADER];
    const metadata = new Metadata();
    if (typeof sent === 'string') metadata.set(REQUEST_ID_HEADER, sent);
    const context = {
      requestId: requestIdFrom(metadata),
      method: `HTTP ${req.method} ${req.url}`,
      authenticated: false,
    };
    res.setHeader(REQUEST_ID_HEADER, context.requestId);
    return runInRequest(context, () => serve(req, res, expectsContinue, context));
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    expectsContinue: boolean,
    context: RequestContext,
  ) => {
    inFlight++;
    const startedAt = performance.now();
    const requestSignal = createRequestSignal(res, draining.signal, options.timeoutMs);
    const { signal } = requestSignal;
    let matched: Route | undefined;
    let release: (() => void) | undefined;
    // As a gRPC call's trailer: where a refusal here leaves its retry hint (read below for Retry-After).
    const trailer = new Metadata();
    try {
      matched = route(req);
      if (matched.open !== true) {
        const refused = authorizeHttp(req.headers, options.apiKeys);
        if (refused !== undefined) throw refused;
        context.authenticated = options.apiKeys.required;
      }
      if (matched.upload) {
        if (Number(req.headers['content-length'] ?? 0) > options.maxUploadBytes)
          throw payloadTooLarge(options.maxUploadBytes);
        if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? ''))
          throw new HttpError(
            415,
            status.INVALID_ARGUMENT,
            `send the audio as multipart/form-data with a field named "file" (curl -F "file=@call.wav"), not ${req.headers['content-type'] ?? 'no content type'}`,
          );
        // The same identity as gRPC's (its key, else its address): one client counts once across both APIs.
        const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
        release = options.admit?.({
          client: clientIdentity(options.apiKeys, req.headers.authorization, address),
          trailer,
        });
      }
      // Only now is the body worth receiving: a refused upload is never sent by a client that asked first.
      if (expectsContinue) res.writeContinue();
      const reply = await matched.handle({
        req,
        res,
        signal,
        deadline: requestSignal.deadline,
        startedAt,
        maxUploadBytes: options.maxUploadBytes,
        transcriber: options.transcriber,
        ready: () => options.ready?.() ?? true,
        engines: () => options.engines?.() ?? Promise.resolve([]),
      });
      if (reply !== undefined) send(req, res, reply);
    } catch (err: unknown) {
      const failure = toHttpFailure(signal.aborted ? signal.reason : err);
      const body = errorBody(req, matched, failure);
      const allow = (err as { allow?: string }).allow;
      const headers: Record<string, string> = allow === undefined ? {} : { Allow: allow };
      if (failure.httpStatus === 401) headers['WWW-Authenticate'] = 'Bearer';
      // A refusal here (our trailer) or from the transcriber (its trailer) keeps its retry hint.
      const downstream = (err as { metadata?: unknown }).metadata;
      const retryAfterMs = Number(
        trailer.get(RETRY_AFTER_TRAILER)[0] ??
          (downstream instanceof Metadata ? downstream.get(RETRY_AFTER_TRAILER)[0] : undefined),
      );
      if (Number.isFinite(retryAfterMs)) headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
      send(req, res, { status: failure.httpStatus, contentType: 'application/json', body }, headers);
    } finally {
      release?.();
      requestSignal.dispose();
      // Routes only, not raw paths, as labels: a scan of random URLs must not grow the series.
      const answered = res.headersSent ? res.statusCode : 499;
      options.metrics.httpRequestFinished(matched?.path ?? 'unknown', answered, (performance.now() - startedAt) / 1000);
      if (--inFlight === 0) idle?.();
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => void handle(req, res, false);
  const server = options.tls === undefined ? createServer(onRequest) : createHttpsServer(options.tls, onRequest);
  server.on('checkContinue', (req, res) => void handle(req, res, true));
  // Our own timeout (--http-timeout-ms) covers the upload; Node's 5-minute default would cut a long
  // upload that the transcriber paces through backpressure.
  server.requestTimeout = 0;
  const colon = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, colon).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.listen.slice(colon + 1)), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  const address = `${options.listen.slice(0, colon)}:${port}`;
  log.info(`serving HTTP on ${options.tls === undefined ? 'http' : 'https'}://${address}`);
  return {
    address,
    inFlight: () => inFlight,
    async close(graceMs: number) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const abortLate = setTimeout(() => draining.abort(), Math.max(0, graceMs - 100));
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      clearTimeout(abortLate);
      server.closeAllConnections();
      await closed;
    },
  };
}
