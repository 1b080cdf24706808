import type { IncomingMessage, ServerResponse } from 'node:http';
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
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export interface Route {
  method: string;
  path: string;
  handle(exchange: HttpExchange): Promise<HttpReply>;
  /** The error body in the shape this route's clients parse. */
  errorBody(failure: HttpFailure): string;
}

export const json = (value: unknown, status = 200): HttpReply => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(value),
});
