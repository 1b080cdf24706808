import type { AudioStreamRequest, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { audioOf, expectConfig } from './validate-config.js';

export interface AudioStream {
  config: TranscriptionConfig;
  /** The audio bytes of every later message, in order. */
  audio: AsyncIterable<Buffer>;
  /** Stops reading the client's messages (the request ended early). */
  close(): void;
}

/** Splits a request stream into its config (the first message, validated) and its audio bytes. */
export async function openAudioStream(requests: AsyncIterable<AudioStreamRequest>): Promise<AudioStream> {
  const iterator = requests[Symbol.asyncIterator]();
  const config = expectConfig(await iterator.next());
  async function* audio(): AsyncGenerator<Buffer> {
    let index = 1;
    for await (const message of { [Symbol.asyncIterator]: () => iterator }) {
      const bytes = audioOf(message, index++);
      if (bytes.length > 0) yield bytes;
    }
  }
  return { config, audio: audio(), close: () => void iterator.return?.() };
}
