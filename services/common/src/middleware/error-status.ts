import { toGrpcError } from '../grpc-status.js';
import { ServiceError } from '../service-error.js';
import type { CallMiddleware } from './compose.js';

/**
 * Turns a failure into its status once, through grpc-status.ts (which logs an unexpected error with
 * its stack): what it rethrows is a ServiceError of that status, so the metrics, the access log and
 * the adapter outside it read one code without logging the error again. A downstream status's retry
 * hint joins this call's trailer, so a refusal by the transcriber reaches the gateway's client.
 */
export function errorStatus(): CallMiddleware {
  return async (context, next) => {
    try {
      return await next(context);
    } catch (err: unknown) {
      const mapped = toGrpcError(err);
      context.trailer.merge(mapped.metadata);
      throw new ServiceError(mapped.code, mapped.details, { cause: err });
    }
  };
}
