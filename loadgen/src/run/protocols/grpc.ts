import { clientConnection, type ClientSecurity } from '#common/client-options.js';
import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { checkTarget } from '../preflight.js';
import { sendRecording } from '../send-request.js';
import type { TargetProtocol } from './target-protocol.js';

export interface GrpcProtocolOptions extends ClientSecurity {
  target: string;
  config: Partial<TranscriptionConfig>;
  chunkBytes: number;
  deadlineMs: number;
}

/** callscribe's own API: Gateway.StreamTranscribe, with server stats from GetServerStats. */
export function grpcProtocol(o: GrpcProtocolOptions): TargetProtocol {
  const connection = clientConnection(o, { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const client = new GatewayClient(o.target, connection.credentials, connection.options);
  return {
    name: 'grpc',
    statsClient: client,
    checkTarget: (timeoutMs) => checkTarget(o.target, timeoutMs, connection.credentials),
    send: (rec, audio, slot, pace) =>
      sendRecording(rec, audio, slot.intendedStartMs, slot.level, slot.index, slot.warmup, {
        client,
        config: o.config,
        chunkBytes: o.chunkBytes,
        deadlineMs: o.deadlineMs,
        pace,
      }),
    close: () => client.close(),
  };
}
