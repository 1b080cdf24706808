import { connectivityState, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { outgoingMetadata } from '#common/outgoing-metadata.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { RawTranscriberClient } from './passthrough-methods.js';
import { unavailable } from '#common/service-error.js';

export interface TranscriberTarget {
  address: string;
  client: TranscriberClient;
  /** Same channel options, messages as bytes: the streaming proxy path. */
  raw: RawTranscriberClient;
}

/**
 * Round-robin over transcriber addresses, skipping one whose channel is in TRANSIENT_FAILURE while
 * another is not: a stream cannot move once audio has gone to a transcriber, so choose well up front.
 */
export class TranscriberClients {
  readonly targets: TranscriberTarget[];
  private cursor = 0;

  constructor(
    addresses: readonly string[],
    maxMessageBytes: number,
    security: { credentials?: ChannelCredentials; apiKey?: string } = {},
  ) {
    if (addresses.length === 0) throw new Error('at least one transcriber address is required');
    const creds = security.credentials ?? credentials.createInsecure();
    this.targets = addresses.map((address) => {
      const options = {
        'grpc.max_send_message_length': maxMessageBytes,
        'grpc.max_receive_message_length': maxMessageBytes,
        // The gateway's own key and the request id of the call being served go with every call.
        interceptors: [outgoingMetadata(security.apiKey ?? '')],
      };
      return {
        address,
        client: new TranscriberClient(address, creds, options),
        raw: new RawTranscriberClient(address, creds, options),
      };
    });
  }

  next(): TranscriberTarget {
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[this.cursor++ % this.targets.length] as TranscriberTarget;
      if (target.raw.getChannel().getConnectivityState(true) !== connectivityState.TRANSIENT_FAILURE) return target;
    }
    const fallback = this.targets[this.cursor++ % this.targets.length];
    if (fallback === undefined) throw unavailable('no transcriber configured');
    return fallback;
  }

  close(): void {
    for (const t of this.targets) {
      t.client.close();
      t.raw.close();
    }
  }
}
