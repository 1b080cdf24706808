import { Gauge, type Registry } from 'prom-client';
import type { TranscriberClients } from './transcriber-clients.js';

/**
 * The gateway's streams to its transcribers, read when Prometheus scrapes: `open`, and `waiting`
 * (past a connection's stream limit, held by grpc-js until a slot frees). Waiting should stay 0; when
 * it does not, raise --transcriber-connections.
 */
export function addStreamMetrics(registry: Registry, clients: TranscriberClients): void {
  new Gauge({
    name: 'callscribe_gateway_transcriber_streams',
    help: 'streams from the gateway to transcribers, by state (open; waiting for an HTTP/2 stream slot)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = clients.streams();
      this.set({ state: 'open' }, s.open);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  new Gauge({
    name: 'callscribe_gateway_transcriber_connections',
    help: 'channels (each its own HTTP/2 connections) the gateway keeps per transcriber target, all targets together',
    registers: [registry],
    collect() {
      this.set(clients.streams().connections);
    },
  });
}
