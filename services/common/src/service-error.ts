import { status } from '@grpc/grpc-js';

/** An error whose gRPC status is decided where it is thrown; the message is safe to show a client. */
export class ServiceError extends Error {
  /** Sent as the `retry-after-ms` trailer: when a refused request is worth trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'ServiceError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export const invalidArgument = (message: string): ServiceError => new ServiceError(status.INVALID_ARGUMENT, message);

export const unavailable = (message: string, cause?: unknown): ServiceError =>
  new ServiceError(status.UNAVAILABLE, message, { cause });

export const resourceExhausted = (message: string, retryAfterMs?: number): ServiceError =>
  new ServiceError(status.RESOURCE_EXHAUSTED, message, { retryAfterMs });

export const deadlineExceeded = (message: string): ServiceError => new ServiceError(status.DEADLINE_EXCEEDED, message);

export const internal = (message: string, cause?: unknown): ServiceError =>
  new ServiceError(status.INTERNAL, message, { cause });
