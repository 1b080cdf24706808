import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { RawTranscriberClient } from '../passthrough-methods.js';
import type { HttpFailure } from './http-status.js';

/** What a route handler gets: the request, its one signal, and where to send the audio. */
export interface HttpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  signal: AbortSignal;
  /** Epoch ms, passed downstream as the gRPC deadline. */
  deadline: number;
  /** performance.now() when the request arrived. */
  startedAt: number;
  maxUploadBytes: number;
  /** The next transcriber, round-robin, as the gRPC path picks it. */
  transcriber(): RawTranscriberClient;
  /** Whether a transcriber is ready now (the gateway's gRPC health). */
  ready(): boolean;
  /** The engines the transcribers report now. */
  engines(): Promise<EngineInfo[]>;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export interface Route {
  method: string;
  /** The path, or its pattern (`/v1/models/{id}`): also the route's label on /metrics. */
  path: string;
  /** For a pattern: whether a request path is this route's. Exact match on `path` otherwise. */
  matches?(path: string): boolean;
  /** A multipart upload: its size, content type and admission are checked before the body is read. */
  upload: boolean;
  /** Answered without an API key (health, as gRPC health is). */
  open?: boolean;
  /** The reply, or undefined when the handler has written the response itself (a stream of events). */
  handle(exchange: HttpExchange): Promise<HttpReply | undefined>;
  /** The error body in the shape this route's clients parse. */
  errorBody(failure: HttpFailure): string;
}

export const json = (value: unknown, status = 200): HttpReply => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(value),
});
