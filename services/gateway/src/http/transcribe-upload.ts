import type { Readable } from 'node:stream';
import { AudioStreamRequest, type TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { TranscriptEvent, type FinalResult, type Segment } from '#gen/callscribe/v1/transcript.js';
import { internal } from '#common/service-error.js';
import type { RawTranscriberClient } from '../passthrough-methods.js';
import { streamTranscribe } from '../stream-transcribe.js';

export interface UploadTranscript {
  segments: Segment[];
  final: FinalResult;
}

/** The upload as the messages a gRPC client would send: the config, then each piece of audio as it arrives. */
async function* requestMessages(config: TranscriptionConfig, audio: Readable): AsyncGenerator<Buffer> {
  yield Buffer.from(AudioStreamRequest.encode({ payload: { $case: 'config', config } }).finish());
  for await (const bytes of audio as AsyncIterable<Buffer>)
    yield Buffer.from(AudioStreamRequest.encode({ payload: { $case: 'audio', audio: bytes } }).finish());
}

/**
 * An HTTP upload through the same path as a gRPC StreamTranscribe (the byte proxy, or the diarized
 * tee), so both APIs behave alike: the audio moves as it is read, at the pace the transcriber takes it.
 */
export async function transcribeUpload(
  config: TranscriptionConfig,
  audio: Readable,
  client: RawTranscriberClient,
  signal: AbortSignal,
  deadline: number,
  /** Called with each segment as it arrives (an OpenAI stream sends it on at once). */
  onSegment: (segment: Segment) => void = () => {},
): Promise<UploadTranscript> {
  const segments: Segment[] = [];
  let final: FinalResult | undefined;
  for await (const raw of streamTranscribe(requestMessages(config, audio), client, signal, deadline)) {
    const event = TranscriptEvent.decode(raw).event;
    if (event?.$case === 'segment') {
      segments.push(event.segment);
      onSegment(event.segment);
    } else if (event?.$case === 'final') final = event.final;
  }
  if (final === undefined) throw internal('the transcriber ended the stream without a final event');
  return { segments, final };
}
