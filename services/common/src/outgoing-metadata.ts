import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { REQUEST_ID_HEADER, currentRequest } from './request-context.js';

/**
 * A client interceptor that adds the API key (when there is one) and, inside a served call, its
 * request id to every outgoing call, so a request keeps one id from the gateway to the transcriber.
 */
export function outgoingMetadata(apiKey: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (apiKey !== '') metadata.set('authorization', `Bearer ${apiKey}`);
        const request = currentRequest();
        if (request !== undefined) metadata.set(REQUEST_ID_HEADER, request.requestId);
        next(metadata, listener);
      },
    });
}
