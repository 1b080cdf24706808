import type { IncomingHttpHeaders } from 'node:http';
import { authorizationError, type ApiKeyCheck } from '#common/auth.js';
import type { ServiceError } from '#common/service-error.js';

/**
 * The one place an HTTP request is let in, called before its body is read so a refused upload costs
 * nothing: the same `authorization: Bearer <key>` and the same keys (--api-keys-file) as gRPC, so
 * the OpenAI SDKs' `apiKey` is a callscribe key. Without keys every request is let in.
 */
export function authorizeHttp(headers: IncomingHttpHeaders, keys: ApiKeyCheck): ServiceError | undefined {
  if (!keys.required) return undefined;
  return authorizationError(keys, headers.authorization);
}
