import type { Deadline } from '@grpc/grpc-js';
import { AudioStreamRequest, DiarizationMode } from '#gen/callscribe/v1/audio.js';
import { readMessages, writeMessage } from '#common/message-stream.js';
import { invalidArgument } from '#common/service-error.js';
import { expectConfig } from '#common/validate-config.js';
import { diarizedTranscribe } from './diarization/diarized-transcribe.js';
import type { RawTranscriberClient } from './passthrough-methods.js';

function decodeFirst(first: IteratorResult<Buffer>): IteratorResult<AudioStreamRequest> {
  if (first.done === true) return first;
  try {
    return { done: false, value: AudioStreamRequest.decode(first.value) };
  } catch {
    throw invalidArgument('the first message is not a valid AudioStreamRequest');
  }
}

/**
 * Forwards one client stream to a transcriber message by message (no file is ever held whole) and
 * relays its events, as bytes. The config is checked here so a malformed stream costs the
 * transcriber nothing; later messages are checked by the transcriber, whose status comes back as is.
 * The client's deadline goes downstream; the client's cancel cancels downstream, which frees the
 * transcriber's queued work for this request.
 */
export async function* streamTranscribe(
  requests: AsyncIterable<Buffer>,
  client: RawTranscriberClient,
  signal: AbortSignal,
  deadline: Deadline,
): AsyncGenerator<Buffer> {
  const iterator = requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  const config = expectConfig(decodeFirst(first));
  if (config.diarization !== DiarizationMode.NONE) {
    yield* diarizedTranscribe(config, iterator, client, signal, deadline);
    return;
  }
  const upstream = client.transcribe({ deadline });
  const cancel = () => upstream.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  let pumpFailure: unknown;
  let finished = false;
  const pump = (async () => {
    await writeMessage(upstream, first.value as Buffer, signal);
    for await (const message of { [Symbol.asyncIterator]: () => iterator })
      await writeMessage(upstream, message, signal);
    upstream.end();
  })().catch((err: unknown) => {
    pumpFailure = err;
    upstream.cancel();
  });
  try {
    for await (const event of readMessages<Buffer>(upstream, signal)) yield event;
    finished = true;
  } catch (err: unknown) {
    throw pumpFailure ?? (signal.aborted ? signal.reason : err);
  } finally {
    signal.removeEventListener('abort', cancel);
    if (!finished) {
      upstream.cancel();
      // Stop forwarding: the client may still be uploading, but its answer is already decided.
      void iterator.return?.();
    }
  }
  await pump;
}
