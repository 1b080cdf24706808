import { statusName, toGrpcError } from '../grpc-status.js';
import type { ServiceMetrics } from '../metrics.js';
import type { CallMiddleware } from './compose.js';

/**
 * Every call in the in-flight gauge while it runs, then in `callscribe_grpc_requests_total` by the
 * status it ended with and in the latency histogram (as nice-grpc-prometheus's server middleware).
 * Outside the auth check, so refused callers are counted here, by their status.
 */
export function callMetrics(metrics: Pick<ServiceMetrics, 'callStarted' | 'callFinished'> | undefined): CallMiddleware {
  if (metrics === undefined) return (context, next) => next(context);
  return async (context, next) => {
    metrics.callStarted(context.method);
    const startedAt = performance.now();
    let code = 'OK';
    try {
      return await next(context);
    } catch (err: unknown) {
      // Inside errorStatus the error is already its status: mapping it again logs nothing.
      code = statusName(toGrpcError(err).code);
      throw err;
    } finally {
      metrics.callFinished(context.method, code, (performance.now() - startedAt) / 1000);
    }
  };
}
