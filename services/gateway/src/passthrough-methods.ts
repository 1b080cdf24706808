import { makeGenericClientConstructor, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { GatewayService } from '#gen/callscribe/v1/gateway.js';
import { TranscriberService } from '#gen/callscribe/v1/transcriber.js';

/**
 * The proxy path moves messages as the bytes they arrived as: decoding and re-encoding every audio
 * message and every event cost the gateway most of its CPU (measured: +4.7 ms p50 and -19%
 * throughput before, see BENCHMARKS.md). Only the first message is decoded, to check the config.
 */
const identity = (b: Buffer): Buffer => b;

export const passthroughGatewayService = {
  ...GatewayService,
  streamTranscribe: { ...GatewayService.streamTranscribe, requestDeserialize: identity, responseSerialize: identity },
} as const;

const rawTranscriberDefinition = {
  transcribe: { ...TranscriberService.transcribe, requestSerialize: identity, responseDeserialize: identity },
  // Requests as bytes (the same messages go to both RPCs); the answer is decoded.
  diarize: { ...TranscriberService.diarize, requestSerialize: identity },
};

export type RawTranscribeCall = ClientDuplexStream<Buffer, Buffer>;
export interface RawTranscriberClient extends Client {
  transcribe(options: { deadline?: import('@grpc/grpc-js').Deadline }): RawTranscribeCall;
  diarize(
    options: { deadline?: import('@grpc/grpc-js').Deadline },
    callback: (
      err: import('@grpc/grpc-js').ServiceError | null,
      result?: import('#gen/callscribe/v1/diarization.js').Diarization,
    ) => void,
  ): import('@grpc/grpc-js').ClientWritableStream<Buffer>;
}

export const RawTranscriberClient = makeGenericClientConstructor(
  rawTranscriberDefinition,
  'callscribe.v1.Transcriber',
) as unknown as new (
  address: string,
  creds: import('@grpc/grpc-js').ChannelCredentials,
  options?: Record<string, unknown>,
) => RawTranscriberClient;
