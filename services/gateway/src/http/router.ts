import type { IncomingMessage } from 'node:http';
import { status } from '@grpc/grpc-js';
import { HttpError } from './http-status.js';
import type { Route } from './http-exchange.js';
import { legacyUploadRoute } from './legacy-upload.js';
import { openAiTranscriptionRoute } from './openai-transcription.js';

export const ROUTES: readonly Route[] = [legacyUploadRoute, openAiTranscriptionRoute];

/** The route for a request, or the 404 / 405 that says why there is none. */
export function route(req: IncomingMessage): Route {
  const path = new URL(req.url ?? '/', 'http://gateway').pathname.replace(/\/+$/, '');
  const onPath = ROUTES.filter((r) => r.path === path);
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
