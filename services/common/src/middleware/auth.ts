import { type ApiKeyCheck, authenticate, clientIdentity } from '../auth.js';
import type { RequestContext } from '../request-context.js';
import type { CallMiddleware } from './compose.js';

/**
 * The API key check every call passes when the server has keys (UNAUTHENTICATED otherwise). Put it
 * before the per-method counts: a refused caller is not a failed request of the service.
 */
export function apiKeyAuth(
  apiKeys: ApiKeyCheck | undefined,
): CallMiddleware<{ authenticated: boolean }, { request: RequestContext }> {
  // Async, so a refusal rejects like any other failure of the call rather than throwing at the caller.
  return async (context, next) => {
    const authenticated = apiKeys === undefined ? false : authenticate(apiKeys, context.metadata);
    context.request.authenticated = authenticated;
    // A caller with a key is that key for per-client limits, whatever address it comes from.
    const authorization = context.metadata.get('authorization')[0];
    const client = authenticated
      ? clientIdentity(apiKeys, typeof authorization === 'string' ? authorization : undefined, context.client)
      : context.client;
    return next({ ...context, authenticated, client });
  };
}
