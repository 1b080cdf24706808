/**
 * An HTTP status as the status name the loadgen counts failures by (the gRPC names, so back-off,
 * the abort rule, error kinds and preflight hints treat both protocols alike). The inverse of the
 * gateway's table (services/gateway/src/http/http-status.ts), as grpc-gateway maps them.
 */
const NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  // Too large or of a type the server does not take: the input is at fault, not the server.
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  422: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function statusOfHttp(httpStatus: number): string {
  const named = NAMES[httpStatus];
  if (named !== undefined) return named;
  if (httpStatus >= 500) return 'INTERNAL';
  if (httpStatus >= 400) return 'FAILED_PRECONDITION';
  // A 1xx or 3xx that ended the exchange: not an answer the loadgen can read.
  return 'UNKNOWN';
}
