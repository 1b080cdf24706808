import { status } from '@grpc/grpc-js';
import { HEADERLESS_AUDIO_HINT, HTTP_AUDIO_HINT } from '#common/audio-hints.js';
import { toGrpcError } from '#common/grpc-status.js';
import { ServiceError } from '#common/service-error.js';

/**
 * A refusal that only HTTP has a status for (413, 415, 404, 405). It is still a ServiceError, so the
 * gRPC mapping stays whole; `httpStatus` wins here.
 */
export class HttpError extends ServiceError {
  constructor(
    readonly httpStatus: number,
    code: status,
    message: string,
  ) {
    super(code, message);
  }
}

// As grpc-gateway maps them (google.rpc.Code → HTTP); 499 is the client's own cancel.
const HTTP_BY_GRPC: Record<number, number> = {
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

export interface HttpFailure {
  httpStatus: number;
  /** The gRPC status name, e.g. INVALID_ARGUMENT: what the same failure is called on the gRPC API. */
  code: string;
  message: string;
  /** The request field at fault, when one is (OpenAI's `param`). */
  param?: string;
}

/**
 * The one place an error becomes an HTTP status. Everything goes through the gRPC mapping first
 * (ServiceError, downstream statuses, aborts, unexpected errors logged and hidden), so a failure reads
 * the same on both APIs; only then is the code turned into an HTTP status.
 */
export function toHttpFailure(err: unknown): HttpFailure {
  const grpc = toGrpcError(err);
  const code = grpc.code ?? status.INTERNAL;
  const httpStatus = err instanceof HttpError ? err.httpStatus : (HTTP_BY_GRPC[code] ?? 500);
  const message = (grpc.details ?? grpc.message).replace(HEADERLESS_AUDIO_HINT, HTTP_AUDIO_HINT);
  const param = (err as { param?: unknown } | null)?.param;
  return { httpStatus, code: status[code] ?? 'INTERNAL', message, ...(typeof param === 'string' ? { param } : {}) };
}

export const payloadTooLarge = (maxBytes: number): HttpError =>
  new HttpError(
    413,
    status.RESOURCE_EXHAUSTED,
    `the upload is larger than this gateway accepts (${maxBytes} bytes, --http-max-upload-bytes)`,
  );
