import { AudioStreamRequest } from '#gen/callscribe/v1/audio.js';
import { TranscriberService } from '#gen/callscribe/v1/transcriber.js';
import { MALFORMED_MESSAGE } from '#common/validate-config.js';

/**
 * A request message that is not valid protobuf becomes a marked message instead of grpc-js's own
 * INTERNAL "Error deserializing request": the handler answers INVALID_ARGUMENT and names the message.
 * The gateway forwards audio as bytes, unchecked, so this is where a malformed one is caught.
 */
const tolerantDecode = (bytes: Buffer): AudioStreamRequest => {
  try {
    return AudioStreamRequest.decode(bytes);
  } catch (err: unknown) {
    return {
      payload: undefined,
      [MALFORMED_MESSAGE]: err instanceof Error ? err.message : String(err),
    } as AudioStreamRequest;
  }
};

export const tolerantTranscriberService = {
  ...TranscriberService,
  transcribe: { ...TranscriberService.transcribe, requestDeserialize: tolerantDecode },
  diarize: { ...TranscriberService.diarize, requestDeserialize: tolerantDecode },
} as const;
