import { credentials, makeGenericClientConstructor, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { AudioStreamRequest, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { GatewayService } from '#gen/callscribe/v1/gateway.js';

const identity = (b: Buffer): Buffer => b;

/** A gateway client that sends and receives bytes, so a test can send what no real client would. */
const RawGatewayClient = makeGenericClientConstructor(
  {
    streamTranscribe: {
      ...GatewayService.streamTranscribe,
      requestSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'callscribe.v1.Gateway',
);

export interface RawOutcome {
  code: number;
  details: string;
  events: number;
  metadata: ServiceError['metadata'] | undefined;
}

export interface RawGateway {
  /** Sends each message as given and resolves with how the call ended (code 0 = OK). */
  send(messages: Buffer[], options?: { deadlineMs?: number; end?: boolean }): Promise<RawOutcome>;
  /** Opens a call and leaves it to the caller. */
  open(deadlineMs?: number): ClientDuplexStream<Buffer, Buffer>;
  close(): void;
}

export const configMessage = (config: Partial<TranscriptionConfig> = {}): Buffer =>
  Buffer.from(
    AudioStreamRequest.encode({
      payload: { $case: 'config', config: TranscriptionConfig.fromPartial(config) },
    }).finish(),
  );

export const audioMessage = (audio: Buffer): Buffer =>
  Buffer.from(AudioStreamRequest.encode({ payload: { $case: 'audio', audio } }).finish());

export function rawGateway(address: string): RawGateway {
  const client = new RawGatewayClient(address, credentials.createInsecure());
  const open = (deadlineMs = 30_000) =>
    (
      client as unknown as {
        streamTranscribe(o: { deadline: number }): ClientDuplexStream<Buffer, Buffer>;
      }
    ).streamTranscribe({ deadline: Date.now() + deadlineMs });
  return {
    open,
    send(messages, options = {}) {
      const call = open(options.deadlineMs);
      let events = 0;
      const outcome = new Promise<RawOutcome>((resolve) => {
        call.on('data', () => events++);
        call.on('error', (e: ServiceError) =>
          resolve({ code: e.code, details: e.details, events, metadata: e.metadata }),
        );
        call.on('end', () => resolve({ code: 0, details: '', events, metadata: undefined }));
      });
      for (const m of messages) call.write(m);
      if (options.end !== false) call.end();
      return outcome;
    },
    close: () => client.close(),
  };
}
