import type { ApiKeyCheck } from '../auth.js';
import type { ServiceMetrics } from '../metrics.js';
import { accessLog } from './access-log.js';
import { apiKeyAuth } from './auth.js';
import { callSignal } from './call-signal.js';
import { middlewareChain } from './compose.js';
import { createCallCounts } from './counts.js';
import { errorStatus } from './error-status.js';
import { callMetrics } from './metrics.js';
import { requestId } from './request-id.js';

export interface ServiceChainOptions {
  /** API keys: every call must carry one (UNAUTHENTICATED otherwise) when any is configured. */
  apiKeys?: ApiKeyCheck;
  metrics?: ServiceMetrics;
  /** Longest any call may run, whatever deadline the client set; 0 = no limit. */
  maxRequestMs: number;
}

/**
 * What every call of both services passes, outermost first. The order is the behaviour: the request
 * id first, so every later line and downstream call carries it; metrics and the access log around
 * everything else, so they see refusals too, and outside errorStatus, so they read the mapped status;
 * auth before the counts, so a refused caller is no failed request; the signal last, nearest the
 * handler, so nothing is started for a call that was refused.
 */
export function createServiceChain(shutdown: AbortSignal, options: ServiceChainOptions) {
  const counts = createCallCounts();
  const chain = middlewareChain()
    .use(requestId())
    .use(callMetrics(options.metrics))
    .use(accessLog())
    .use(errorStatus())
    .use(apiKeyAuth(options.apiKeys))
    .use(counts.middleware)
    .use(callSignal(shutdown, options.maxRequestMs));
  return { counts: counts.counts, run: chain.run };
}
