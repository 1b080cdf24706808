import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { configureLog } from '#common/log.js';
import { streamAudio, type StreamAudioOptions, type StreamAudioResult } from '#client/stream-audio.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../../services/gateway/src/server.js';
import { defaultTranscriberConfig, type TranscriberConfig } from '../../services/transcriber/src/config.js';
import { startTranscriber, type RunningTranscriber } from '../../services/transcriber/src/server.js';

configureLog({ level: process.env['LOG_LEVEL'] === undefined ? 'warn' : undefined });

export interface Stack {
  transcriber: RunningTranscriber;
  gateway: RunningGateway;
  gatewayClient: GatewayClient;
  transcriberClient: TranscriberClient;
  stop(): Promise<void>;
}

/** A real transcriber (real Python workers) and gateway, each on an ephemeral loopback port. */
export async function startStack(
  overrides: Partial<TranscriberConfig> = {},
  gatewayOverrides: Partial<GatewayConfig> = {},
): Promise<Stack> {
  const transcriber = await startTranscriber(
    defaultTranscriberConfig({ listen: '127.0.0.1:0', workers: 2, ...overrides }),
  );
  const gateway = await startGateway(
    defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [transcriber.address], ...gatewayOverrides }),
  );
  const gatewayClient = new GatewayClient(gateway.address, credentials.createInsecure());
  const transcriberClient = new TranscriberClient(transcriber.address, credentials.createInsecure());
  return {
    transcriber,
    gateway,
    gatewayClient,
    transcriberClient,
    async stop() {
      gatewayClient.close();
      transcriberClient.close();
      await gateway.stop(1000);
      await transcriber.stop(1000);
    },
  };
}

export function viaGateway(stack: Stack, audio: Buffer, options: StreamAudioOptions = {}): Promise<StreamAudioResult> {
  return streamAudio((o) => stack.gatewayClient.streamTranscribe(o), audio, { deadlineMs: 120_000, ...options });
}

export function transcriberStats(stack: Stack): Promise<TranscriberStats> {
  return new Promise((resolve, reject) =>
    stack.transcriberClient.getStats({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, s) =>
      err !== null ? reject(err) : resolve(s),
    ),
  );
}

/** Resolves with the gRPC error a call failed with; fails the test if it succeeded. */
export async function expectGrpcError(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err: unknown) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
