import { credentials } from '@grpc/grpc-js';
import { DiarizationMode, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { assignSpeakers } from '../services/gateway/src/diarization/assign-speakers.js';
import { streamAudio } from '#client/stream-audio.js';

const CHUNK_BYTES = 32 * 1024;

/**
 * The two orders of ASR and diarization, driven from outside the gateway against one transcriber so
 * that only the order differs: `beside` starts Diarize with Transcribe (what the gateway does),
 * `after` starts it once Transcribe has finished (what servers built on WhisperX do). Both end with
 * the gateway's own speaker assignment. This lives in bench/ because `after` holds the whole upload.
 */
export function diarizeInOrder(address: string) {
  const client = new TranscriberClient(address, credentials.createInsecure());
  const config = { diarization: DiarizationMode.CLUSTER, wordTimestamps: true };
  const diarize = (bytes: Buffer) =>
    new Promise<Diarization>((resolve, reject) => {
      const call = client.diarize({ deadline: Date.now() + 600_000 }, (err, result) =>
        err !== null || result === undefined ? reject(err) : resolve(result),
      );
      call.write({ payload: { $case: 'config', config: TranscriptionConfig.fromPartial(config) } });
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
        call.write({ payload: { $case: 'audio', audio: bytes.subarray(at, at + CHUNK_BYTES) } });
      call.end();
    });
  const transcribe = (bytes: Buffer) =>
    streamAudio((o) => client.transcribe(o), bytes, { config, deadlineMs: 600_000 });
  return {
    async run(bytes: Buffer, order: 'beside' | 'after'): Promise<number> {
      const started = performance.now();
      if (order === 'beside') {
        const [asr, turns] = await Promise.all([transcribe(bytes), diarize(bytes)]);
        assignSpeakers(asr.segments, turns.turns);
      } else {
        const asr = await transcribe(bytes);
        assignSpeakers(asr.segments, (await diarize(bytes)).turns);
      }
      return performance.now() - started;
    },
    close: () => client.close(),
  };
}
