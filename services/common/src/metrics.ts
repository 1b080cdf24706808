import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { authorizationError, type ApiKeyCheck } from './auth.js';
import { OptionError } from './options.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { log } from './log.js';

// Short calls (stats, rejections) up to hour-long recordings streamed at real time.
const DURATION_BUCKETS_SEC = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/** Per-service Prometheus metrics: every gRPC call by method and status, with its latency. */
export function createServiceMetrics(service: 'gateway' | 'transcriber') {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'callscribe_' });
  // prom-client also writes these three totals as gauges named *_total, which promtool rejects (only a
  // counter may end in _total). The per-type gauges beside them hold the same counts: sum over `type`.
  for (const kind of ['handles', 'requests', 'resources'])
    registry.removeSingleMetric(`callscribe_nodejs_active_${kind}_total`);
  const requests = new Counter({
    name: 'callscribe_grpc_requests_total',
    help: 'gRPC calls finished, by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'callscribe_grpc_request_duration_seconds',
    help: 'gRPC call duration, first message to status',
    labelNames: ['method'] as const,
    buckets: DURATION_BUCKETS_SEC,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'callscribe_grpc_requests_in_flight',
    help: 'gRPC calls running now',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  // The gateway's HTTP edge (see services/gateway/src/http/), by route and HTTP status.
  const httpRequests = new Counter({
    name: 'callscribe_http_requests_total',
    help: 'HTTP requests answered, by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const httpLatency = new Histogram({
    name: 'callscribe_http_request_duration_seconds',
    help: 'HTTP request duration, arrival to answer (upload included)',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS_SEC,
    registers: [registry],
  });
  return {
    registry,
    httpRequestFinished(route: string, status: number, seconds: number): void {
      httpRequests.inc({ route, status: String(status) });
      httpLatency.observe({ route }, seconds);
    },
    callStarted(method: string): void {
      inFlight.inc({ method });
    },
    callFinished(method: string, code: string, seconds: number): void {
      inFlight.dec({ method });
      requests.inc({ method, code });
      latency.observe({ method }, seconds);
    },
  };
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

export interface MetricsEndpoint {
  address: string;
  close(): Promise<void>;
}

export interface MetricsAccess {
  /** Set when /metrics needs an API key (--metrics-auth api-key). */
  apiKeys?: ApiKeyCheck;
  /** PEM certificate and key files: /metrics over HTTPS (--metrics-tls). */
  tls?: { certFile: string; keyFile: string };
}

/** The metrics options, checked once against the rest of the server's security settings. */
export function metricsAccess(
  o: { metricsAuth: 'none' | 'api-key'; metricsTls: boolean; tlsCert: string; tlsKey: string },
  apiKeys: ApiKeyCheck,
): MetricsAccess {
  if (o.metricsAuth === 'api-key' && !apiKeys.required)
    throw new OptionError('--metrics-auth api-key needs --api-keys-file (there is no key to check)');
  if (o.metricsTls && (o.tlsCert === '' || o.tlsKey === ''))
    throw new OptionError('--metrics-tls needs --tls-cert and --tls-key');
  return {
    ...(o.metricsAuth === 'api-key' ? { apiKeys } : {}),
    ...(o.metricsTls ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
  };
}

/** GET /metrics on its own host:port (port 0 = ephemeral), apart from the gRPC port. */
export function serveMetrics(listen: string, registry: Registry, access: MetricsAccess = {}): Promise<MetricsEndpoint> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    const refused =
      access.apiKeys === undefined ? undefined : authorizationError(access.apiKeys, req.headers.authorization);
    if (refused !== undefined) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end(`${refused.message}\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        log.error('metrics collection failed', { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed (logged)\n');
      },
    );
  };
  const server: Server =
    access.tls === undefined
      ? createServer(handler)
      : createHttpsServer({ cert: readFileSync(access.tls.certFile), key: readFileSync(access.tls.keyFile) }, handler);
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(listen.slice(at + 1)), host.replace(/^\[|\]$/g, ''), () => {
      const port = (server.address() as { port: number }).port;
      const address = `${host}:${port}`;
      log.info(`metrics on ${access.tls === undefined ? 'http' : 'https'}://${address}/metrics`, {
        apiKey: access.apiKeys !== undefined,
      });
      resolve({
        address,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
