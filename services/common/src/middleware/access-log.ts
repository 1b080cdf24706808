import { statusName, toGrpcError } from '../grpc-status.js';
import { log } from '../log.js';
import type { CallMiddleware } from './compose.js';

/**
 * One line per call with the status it ended with: streaming calls (the requests) at info either
 * way, so every request leaves a line with its request_tag; unary ones at debug unless they fail.
 * Inside requestId, so the line carries the call's request_id and request_tag.
 */
export function accessLog(): CallMiddleware {
  return async (context, next) => {
    const startedAt = performance.now();
    const fields = (code: string) => ({
      method: context.method,
      client: context.client,
      code,
      ms: Math.round(performance.now() - startedAt),
    });
    try {
      const result = await next(context);
      (context.requestStream ? log.info : log.debug)('call finished', fields('OK'));
      return result;
    } catch (err: unknown) {
      const grpcError = toGrpcError(err);
      log.info('call failed', { ...fields(statusName(grpcError.code)), details: grpcError.details });
      throw err;
    }
  };
}
