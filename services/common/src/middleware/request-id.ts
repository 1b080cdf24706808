import { Metadata } from '@grpc/grpc-js';
import { REQUEST_ID_HEADER, type RequestContext, requestIdFrom, runInRequest } from '../request-context.js';
import type { CallMiddleware } from './compose.js';

/**
 * Gives the call its request id (the client's own, if usable) and runs the rest of the chain inside
 * its request context, so every log line of the call and every call it makes downstream carry it.
 * The id goes back at once in the response headers, so a client can quote it before the call ends.
 */
export function requestId(): CallMiddleware<{ request: RequestContext }> {
  return (context, next) => {
    const request: RequestContext = {
      requestId: requestIdFrom(context.metadata),
      method: context.method,
      authenticated: false,
    };
    const header = new Metadata();
    header.set(REQUEST_ID_HEADER, request.requestId);
    context.sendHeader(header);
    return runInRequest(request, () => next({ ...context, request }));
  };
}
