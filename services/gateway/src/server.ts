import { Metadata, Server, type Deadline, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { GatewayServer } from '#gen/callscribe/v1/gateway.js';
import type { ServerStats, TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { createCallAdapters } from '#common/call-adapters.js';
import { log } from '#common/log.js';
import { createServiceMetrics, metricsAccess, serveMetrics, type MetricsEndpoint } from '#common/metrics.js';
import { registerSecret } from '#common/redact.js';
import { addReflection } from '#common/reflection.js';
import { createServerLifecycle } from '#common/server-lifecycle.js';
import { loadServerSecurity } from '#common/server-options.js';
import { channelCredentials } from '#common/tls.js';
import { httpListenAddress, type GatewayConfig } from './config.js';
import { startHttpEndpoint, type HttpEndpoint } from './http/http-server.js';
import { httpsOptions } from './http/https-options.js';
import { Admission } from '#common/admission.js';
import { grpcServerOptions } from '#common/server-limits.js';
import { streamTranscribe } from './stream-transcribe.js';
import { passthroughGatewayService } from './passthrough-methods.js';
import { withoutInternals } from './stats-visibility.js';
import { connectionsFor, type StatsTarget, TranscriberClients } from './transcribers/transcriber-clients.js';
import { addStreamMetrics } from './transcribers/stream-metrics.js';

export interface RunningGateway {
  address: string;
  /** host:port of GET /metrics, when --metrics-listen is set. */
  metricsAddress?: string;
  /** host:port of the HTTP endpoints; undefined with --http-listen off. */
  httpAddress: string | undefined;
  stop(graceMs?: number): Promise<void>;
}

function getStats(target: StatsTarget, deadline: Deadline): Promise<TranscriberStats> {
  const client = target.client;
  if (client === undefined) return Promise.reject(new Error(target.error ?? 'no client'));
  return new Promise((resolve, reject) => {
    client.getStats({}, new Metadata(), { deadline }, (err, stats) => (err !== null ? reject(err) : resolve(stats)));
  });
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  registerSecret(config.transcriberApiKey);
  const security = loadServerSecurity(config);
  // Checked before anything starts: a setting that protects nothing is refused at once.
  const metricsSettings = metricsAccess(config, security.apiKeys);
  // A diarized request runs two streams (Transcribe and Diarize), so the worst case is twice the requests.
  const transcriberConnections =
    config.transcriberConnections ||
    connectionsFor(2 * config.maxConcurrentRequests, config.transcriberStreamsPerConnection);
  const clients = new TranscriberClients({
    addresses: config.transcribers,
    maxMessageBytes: config.maxMessageBytes,
    reconnectMaxBackoffMs: config.reconnectMaxBackoffMs,
    channelCredentials: channelCredentials(
      { caFile: config.transcriberTlsCa, certFile: config.transcriberTlsCert, keyFile: config.transcriberTlsKey },
      '--transcriber-tls',
    ),
    apiKey: config.transcriberApiKey,
    connections: transcriberConnections,
    streamsPerConnection: config.transcriberStreamsPerConnection,
  });
  const server = new Server(grpcServerOptions(config, config.maxMessageBytes));
  const admission = new Admission({
    maxConcurrent: config.maxConcurrentRequests,
    maxPerClient: config.maxRequestsPerClient,
    retryAfterMs: config.retryAfterMs,
  });
  const health = new HealthImplementation();
  health.addToServer(server);
  addReflection(server, 'callscribe/v1/gateway.proto', ['callscribe.v1.Gateway']);
  const lifecycle = createServerLifecycle({
    server,
    health,
    services: ['callscribe.v1.Gateway'],
    defaultGraceMs: config.shutdownGraceMs,
    credentials: security.credentials,
  });
  const metrics = createServiceMetrics('gateway');
  addStreamMetrics(metrics.registry, clients);
  const calls = createCallAdapters(lifecycle.shutdown, { apiKeys: security.apiKeys, metrics, limits: config });

  const fanOutStats = async () => {
    const targets = await clients.statsTargets();
    const results = await Promise.allSettled(targets.map((t) => getStats(t, Date.now() + config.statsTimeoutMs)));
    const transcribers: TranscriberStats[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      const address = targets[i]?.address ?? '';
      if (r.status === 'fulfilled') transcribers.push({ ...r.value, address });
      else errors.push(`${address}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    });
    return { targets, transcribers, errors };
  };

  // The streaming method moves bytes (see passthrough-methods.ts); the rest is typed by the generated interface.
  const service: Omit<GatewayServer, 'streamTranscribe'> & {
    streamTranscribe: handleBidiStreamingCall<Buffer, Buffer>;
  } = {
    streamTranscribe: calls.bidi('streamTranscribe', async function* (requests: AsyncIterable<Buffer>, context) {
      const release = admission.admit(context);
      try {
        yield* streamTranscribe(requests, clients.next(), context.signal, context.deadline);
      } finally {
        release();
      }
    }),
    getServerStats: calls.unary('getServerStats', async (_request, { authenticated }): Promise<ServerStats> => {
      const { targets, transcribers, errors } = await fanOutStats();
      const inFlight = calls.counts('streamTranscribe').inFlight + (http?.inFlight() ?? 0);
      const stats = {
        transcribers,
        gatewayInFlightRequests: inFlight,
        errors,
        gatewayRequestsRefused: admission.counts.refused,
      };
      return authenticated
        ? stats
        : withoutInternals(
            stats,
            targets.map((t) => t.address),
          );
    }),
  };
  server.addService(passthroughGatewayService, service);
  const metricsEndpoint: MetricsEndpoint | undefined =
    config.metricsListen === ''
      ? undefined
      : await serveMetrics(config.metricsListen, metrics.registry, metricsSettings);
  let httpClosed: Promise<void> | undefined;
  let http: HttpEndpoint | undefined;
  // The transcriber clients outlive HTTP requests too: they are closed once both edges are down.
  const address = await lifecycle.listen(config.listen, async () => {
    await (httpClosed ?? http?.close(0));
    clients.close();
    await metricsEndpoint?.close();
  });
  const httpListen = httpListenAddress(config);
  if (httpListen !== undefined) {
    try {
      http = await startHttpEndpoint({
        listen: httpListen,
        maxUploadBytes: config.httpMaxUploadBytes,
        timeoutMs: config.httpTimeoutMs,
        apiKeys: security.apiKeys,
        metrics,
        tls: httpsOptions(config),
        transcriber: () => clients.next(),
        admit: (caller) => admission.admit(caller),
        ready: () => clients.ready,
        // The engines the transcribers report now (GET /v1/models), as GetServerStats collects them.
        engines: async () =>
          (await fanOutStats()).transcribers.flatMap((t) => (t.engine === undefined ? [] : [t.engine])),
      });
    } catch (err: unknown) {
      await lifecycle.stop(0);
      throw err;
    }
  }
  // Health follows the transcribers: SERVING only while one has a READY connection, so a load
  // balancer or readiness probe stops sending work to a gateway that can only answer UNAVAILABLE.
  clients.onReadyChange((ready) => {
    lifecycle.setReady(ready);
    if (ready) log.info('a transcriber is ready; health SERVING');
    else log.warn('no transcriber is ready; health NOT_SERVING');
  });
  lifecycle.setReady(await clients.settled(config.statsTimeoutMs));
  log.info('gateway ready', {
    transcribers: config.transcribers,
    connectionsPerTranscriber: transcriberConnections,
    tls: config.tlsCert !== '',
    mtls: config.tlsClientCa !== '',
    apiKeys: security.apiKeys.required,
  });
  return {
    address,
    ...(metricsEndpoint === undefined ? {} : { metricsAddress: metricsEndpoint.address }),
    httpAddress: http?.address,
    stop: (graceMs?: number) => {
      httpClosed ??= http?.close(graceMs ?? config.shutdownGraceMs);
      return lifecycle.stop(graceMs);
    },
  };
}
