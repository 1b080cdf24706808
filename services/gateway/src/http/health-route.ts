import { json, type HttpExchange, type Route } from './http-exchange.js';

/**
 * `GET /health` and `GET /v1/health` (and HEAD), for load balancers that speak HTTP: 200 while a transcriber is
 * ready, 503 otherwise, as gRPC health is SERVING or NOT_SERVING. Open without an API key, as gRPC
 * health is: a probe carries no key, and the answer says nothing a caller could misuse.
 */
const health = (method: string, path: string): Route => ({
  method,
  path,
  upload: false,
  open: true,
  async handle(x: HttpExchange) {
    return x.ready() ? json({ status: 'ok' }) : json({ status: 'unavailable', reason: 'no transcriber is ready' }, 503);
  },
  errorBody: (failure) => JSON.stringify({ status: 'error', detail: failure.message, code: failure.code }),
});

// HEAD too: some load balancers probe with it (Node sends the status and headers, no body).
export const healthRoutes: readonly Route[] = ['/health', '/v1/health'].flatMap((path) => [
  health('GET', path),
  health('HEAD', path),
]);
