import { Metadata, Server, type Deadline, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { GatewayServer } from '../../../gen/callscribe/v1/gateway.js';
import type { ServerStats, TranscriberStats } from '../../../gen/callscribe/v1/stats.js';
import { bidiHandler, unaryHandler } from '../../common/src/call-adapters.js';
import { log } from '../../common/src/log.js';
import { listen, stopServer } from '../../common/src/server-lifecycle.js';
import type { GatewayConfig } from './config.js';
import { proxyTranscribe } from './stream-transcribe.js';
import { rawGatewayService } from './passthrough-methods.js';
import { TranscriberClients, type TranscriberTarget } from './transcriber-clients.js';

export interface RunningGateway {
  address: string;
  stop(graceMs?: number): Promise<void>;
}

function getStats(target: TranscriberTarget, deadline: Deadline): Promise<TranscriberStats> {
  return new Promise((resolve, reject) => {
    target.client.getStats({}, new Metadata(), { deadline }, (err, stats) => (err !== null ? reject(err) : resolve(stats)));
  });
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const shutdown = new AbortController();
  const pool = new TranscriberClients(config.transcribers, config.maxMessageBytes);
  let inFlight = 0;

  // The streaming method moves bytes (see raw-methods.ts); the rest is typed by the generated interface.
  const service: Omit<GatewayServer, 'streamTranscribe'> & { streamTranscribe: handleBidiStreamingCall<Buffer, Buffer> } = {
    streamTranscribe: bidiHandler(shutdown.signal, async function* (requests, { signal, deadline }) {
      inFlight++;
      try {
        yield* proxyTranscribe(requests, pool.next().raw, signal, deadline);
      } finally {
        inFlight--;
      }
    }),
    getServerStats: unaryHandler(shutdown.signal, async (): Promise<ServerStats> => {
      const results = await Promise.allSettled(pool.targets.map((t) => getStats(t, Date.now() + config.statsTimeoutMs)));
      const transcribers: TranscriberStats[] = [];
      const errors: string[] = [];
      results.forEach((r, i) => {
        const address = pool.targets[i]?.address ?? '';
        if (r.status === 'fulfilled') transcribers.push({ ...r.value, address });
        else errors.push(`${address}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      });
      return { transcribers, gatewayInFlightRequests: inFlight, errors };
    }),
  };

  const server = new Server({ 'grpc.max_receive_message_length': config.maxMessageBytes });
  server.addService(rawGatewayService, service);
  const health = new HealthImplementation({ '': 'SERVING', 'callscribe.v1.Gateway': 'SERVING' });
  health.addToServer(server);
  const address = await listen(server, config.listen);
  if (config.httpListen !== '') log.warn('--http-listen is accepted but the HTTP upload endpoint is not served by this version');
  log.info('gateway ready', { transcribers: config.transcribers });
  return {
    address,
    async stop(graceMs = config.shutdownGraceMs) {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus('callscribe.v1.Gateway', 'NOT_SERVING');
      const timer = setTimeout(() => shutdown.abort(), Math.max(0, graceMs - 100));
      await stopServer(server, graceMs);
      clearTimeout(timer);
      shutdown.abort();
      pool.close();
    },
  };
}
