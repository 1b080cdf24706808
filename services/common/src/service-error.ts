import { status } from '@grpc/grpc-js';

/** An error whose gRPC status is decided where it is thrown; the message is safe to show a client. */
export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

export const invalidArgument = (message: string): ServiceError => new ServiceError(status.INVALID_ARGUMENT, message);

export const unavailable = (message: string, cause?: unknown): ServiceError =>
  new ServiceError(status.UNAVAILABLE, message, { cause });

export const resourceExhausted = (message: string): ServiceError =>
  new ServiceError(status.RESOURCE_EXHAUSTED, message);

export const deadlineExceeded = (message: string): ServiceError => new ServiceError(status.DEADLINE_EXCEEDED, message);

export const internal = (message: string, cause?: unknown): ServiceError =>
  new ServiceError(status.INTERNAL, message, { cause });
