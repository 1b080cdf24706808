import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { DiarizationMode, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import type { Stack } from './stack.js';

/** One Diarize RPC to the stack's transcriber: CLUSTER unless the config says otherwise. */
export function diarize(stack: Stack, audio: Buffer, config: Partial<TranscriptionConfig> = {}): Promise<Diarization> {
  return new Promise((resolve, reject) => {
    const call = stack.transcriberClient.diarize(
      new Metadata(),
      { deadline: Date.now() + 60_000 },
      (err: ServiceError | null, d?: Diarization) => (err !== null ? reject(err) : resolve(d as Diarization)),
    );
    const full = TranscriptionConfig.fromPartial({ diarization: DiarizationMode.CLUSTER, ...config });
    call.write({ payload: { $case: 'config', config: full } });
    for (let i = 0; i < audio.length; i += 32768)
      call.write({ payload: { $case: 'audio', audio: audio.subarray(i, i + 32768) } });
    call.end();
  });
}
