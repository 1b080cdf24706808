import { Metadata, Server, type Deadline, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { GatewayServer } from '#gen/callscribe/v1/gateway.js';
import type { ServerStats, TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { createCallAdapters } from '#common/call-adapters.js';
import { log } from '#common/log.js';
import { createServiceMetrics, serveMetrics, type MetricsEndpoint } from '#common/metrics.js';
import { registerSecret } from '#common/redact.js';
import { addReflection } from '#common/reflection.js';
import { createServerLifecycle } from '#common/server-lifecycle.js';
import { loadServerSecurity } from '#common/server-options.js';
import { channelCredentials } from '#common/tls.js';
import type { GatewayConfig } from './config.js';
import { streamTranscribe } from './stream-transcribe.js';
import { passthroughGatewayService } from './passthrough-methods.js';
import { withoutInternals } from './stats-visibility.js';
import { TranscriberClients, type TranscriberTarget } from './transcriber-clients.js';

export interface RunningGateway {
  address: string;
  /** host:port of GET /metrics, when --metrics-listen is set. */
  metricsAddress?: string;
  stop(graceMs?: number): Promise<void>;
}

function getStats(target: TranscriberTarget, deadline: Deadline): Promise<TranscriberStats> {
  return new Promise((resolve, reject) => {
    target.client.getStats({}, new Metadata(), { deadline }, (err, stats) =>
      err !== null ? reject(err) : resolve(stats),
    );
  });
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  registerSecret(config.transcriberApiKey);
  const security = loadServerSecurity(config);
  const clients = new TranscriberClients(config.transcribers, config.maxMessageBytes, {
    credentials: channelCredentials(
      { caFile: config.transcriberTlsCa, certFile: config.transcriberTlsCert, keyFile: config.transcriberTlsKey },
      '--transcriber-tls',
    ),
    apiKey: config.transcriberApiKey,
  });
  const server = new Server({ 'grpc.max_receive_message_length': config.maxMessageBytes });
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
  const calls = createCallAdapters(lifecycle.shutdown, { apiKeys: security.apiKeys, metrics });

  // The streaming method moves bytes (see passthrough-methods.ts); the rest is typed by the generated interface.
  const service: Omit<GatewayServer, 'streamTranscribe'> & {
    streamTranscribe: handleBidiStreamingCall<Buffer, Buffer>;
  } = {
    streamTranscribe: calls.bidi('streamTranscribe', (requests: AsyncIterable<Buffer>, { signal, deadline }) =>
      streamTranscribe(requests, clients.next().raw, signal, deadline),
    ),
    getServerStats: calls.unary('getServerStats', async (_request, { authenticated }): Promise<ServerStats> => {
      const results = await Promise.allSettled(
        clients.targets.map((t) => getStats(t, Date.now() + config.statsTimeoutMs)),
      );
      const transcribers: TranscriberStats[] = [];
      const errors: string[] = [];
      results.forEach((r, i) => {
        const address = clients.targets[i]?.address ?? '';
        if (r.status === 'fulfilled') transcribers.push({ ...r.value, address });
        else errors.push(`${address}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      });
      const stats = { transcribers, gatewayInFlightRequests: calls.counts('streamTranscribe').inFlight, errors };
      return authenticated ? stats : withoutInternals(stats, config.transcribers);
    }),
  };
  server.addService(passthroughGatewayService, service);
  const metricsEndpoint: MetricsEndpoint | undefined =
    config.metricsListen === '' ? undefined : await serveMetrics(config.metricsListen, metrics.registry);
  const address = await lifecycle.listen(config.listen, async () => {
    clients.close();
    await metricsEndpoint?.close();
  });
  if (config.httpListen !== '')
    log.warn('--http-listen is accepted but the HTTP upload endpoint is not served by this version');
  log.info('gateway ready', {
    transcribers: config.transcribers,
    tls: config.tlsCert !== '',
    mtls: config.tlsClientCa !== '',
    apiKeys: security.apiKeys.required,
  });
  return {
    address,
    ...(metricsEndpoint === undefined ? {} : { metricsAddress: metricsEndpoint.address }),
    stop: (graceMs?: number) => lifecycle.stop(graceMs),
  };
}
