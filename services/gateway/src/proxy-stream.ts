import type { Deadline } from '@grpc/grpc-js';
import { DiarizationMode, type AudioStreamRequest } from '../../../gen/callscribe/v1/audio.js';
import type { TranscriptEvent } from '../../../gen/callscribe/v1/transcript.js';
import type { TranscriberClient } from '../../../gen/callscribe/v1/transcriber.js';
import { readMessages, writeMessage } from '../../common/src/message-stream.js';
import { ServiceError } from '../../common/src/service-error.js';
import { audioOf, expectConfig } from '../../common/src/validate-config.js';
import { status } from '@grpc/grpc-js';

/**
 * Forwards one client stream to a transcriber message by message (no file is ever held whole) and
 * relays its events. The client's deadline goes downstream; the client's cancel cancels downstream,
 * which frees the transcriber's queued work for this request.
 */
export async function* proxyTranscribe(
  requests: AsyncIterable<AudioStreamRequest>,
  client: TranscriberClient,
  signal: AbortSignal,
  deadline: Deadline,
): AsyncGenerator<TranscriptEvent> {
  const iterator = requests[Symbol.asyncIterator]();
  // Checked here so a malformed stream costs the transcriber nothing.
  const config = expectConfig(await iterator.next());
  if (config.diarization !== DiarizationMode.NONE) {
    throw new ServiceError(status.UNIMPLEMENTED, 'diarization is not available on this gateway yet; send diarization NONE');
  }
  const upstream = client.transcribe({ deadline });
  const cancel = () => upstream.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  let pumpFailure: unknown;
  let finished = false;
  const pump = (async () => {
    await writeMessage(upstream, { payload: { $case: 'config', config } }, signal);
    let index = 1;
    for await (const message of { [Symbol.asyncIterator]: () => iterator }) {
      audioOf(message, index++);
      await writeMessage(upstream, message, signal);
    }
    upstream.end();
  })().catch((err: unknown) => {
    pumpFailure = err;
    upstream.cancel();
  });
  try {
    for await (const event of readMessages<TranscriptEvent>(upstream, signal)) yield event;
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
