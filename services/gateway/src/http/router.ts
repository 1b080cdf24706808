import type { IncomingMessage } from 'node:http';
import { status } from '@grpc/grpc-js';
import { healthRoutes } from './health-route.js';
import { HttpError, type HttpFailure } from './http-status.js';
import type { Route } from './http-exchange.js';
import { legacyUploadRoute } from './legacy-upload.js';
import { openAiErrorBody } from './openai-errors.js';
import { modelRoute, modelsRoute } from './openai-models.js';
import { openAiTranscriptionRoute } from './openai-transcription.js';

export const ROUTES: readonly Route[] = [
  legacyUploadRoute,
  openAiTranscriptionRoute,
  modelsRoute,
  modelRoute,
  ...healthRoutes,
];

export const requestPath = (req: IncomingMessage): string =>
  new URL(req.url ?? '/', 'http://gateway').pathname.replace(/\/+$/, '');

/** The route for a request, or the 404 / 405 that says why there is none. */
export function route(req: IncomingMessage): Route {
  const path = requestPath(req);
  const onPath = ROUTES.filter((r) => (r.matches === undefined ? r.path === path : r.matches(path)));
  if (onPath.length === 0) {
    throw new HttpError(
      404,
      status.NOT_FOUND,
      `no endpoint at ${path || '/'}; this gateway serves ${ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`,
    );
  }
  const match = onPath.find((r) => r.method === req.method);
  if (match === undefined) {
    throw Object.assign(
      new HttpError(
        405,
        status.UNIMPLEMENTED,
        `${path} takes ${onPath.map((r) => r.method).join(', ')}, not ${req.method}`,
      ),
      { allow: onPath.map((r) => r.method).join(', ') },
    );
  }
  return match;
}

/**
 * The error body for a request: its route's shape, else by path, so that an OpenAI client gets
 * OpenAI's shape for a path that does not exist (the SDKs drop any other body's message).
 */
export function errorBody(req: IncomingMessage, matched: Route | undefined, failure: HttpFailure): string {
  if (matched !== undefined) return matched.errorBody(failure);
  const path = requestPath(req);
  if (path === '/v1' || path.startsWith('/v1/')) return openAiErrorBody(failure);
  return JSON.stringify({ detail: failure.message, code: failure.code });
}
