import { EventEmitter } from 'node:events';
import { Metadata } from '@grpc/grpc-js';
import type { IncomingCall } from '#common/middleware/compose.js';

/**
 * A call as the adapter hands it to the middlewares, without grpc-js: request headers in, response
 * headers recorded, `cancel()` as the client's cancel.
 */
export function incomingCall(options: { method?: string; headers?: Record<string, string>; deadline?: number } = {}) {
  const events = new EventEmitter();
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.headers ?? {})) metadata.set(key, value);
  const sentHeaders: Metadata[] = [];
  const call: IncomingCall = {
    method: options.method ?? 'transcribe',
    requestStream: true,
    metadata,
    client: '10.0.0.7',
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    trailer: new Metadata(),
    sendHeader: (header) => sentHeaders.push(header),
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
  };
  return {
    call,
    sentHeaders,
    cancel: () => events.emit('cancelled'),
    listeners: () => events.listenerCount('cancelled'),
  };
}
