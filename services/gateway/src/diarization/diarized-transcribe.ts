import type { ClientWritableStream, Deadline } from '@grpc/grpc-js';
import { AudioStreamRequest, type TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import { TranscriptEvent, type FinalResult, type Segment } from '#gen/callscribe/v1/transcript.js';
import { readMessages, writeMessage } from '#common/message-stream.js';
import { internal } from '#common/service-error.js';
import { assignSpeakers } from './assign-speakers.js';
import type { RawTranscribeCall, RawTranscriberClient } from '../passthrough-methods.js';

/**
 * A request with diarization: the same audio messages go to Transcribe and Diarize at the same time,
 * so the wait is max(asr, diarize) and not their sum; then every word gets a speaker. Segments are
 * held until both are done (a speaker is only known once the whole recording is diarized).
 */
export async function* diarizedTranscribe(
  config: TranscriptionConfig,
  rest: AsyncIterator<Buffer>,
  client: RawTranscriberClient,
  signal: AbortSignal,
  deadline: Deadline,
): AsyncGenerator<Buffer> {
  const startedAt = performance.now();
  // Words are needed to place speakers, whatever the client asked for; they are dropped again below.
  const first = Buffer.from(
    AudioStreamRequest.encode({ payload: { $case: 'config', config: { ...config, wordTimestamps: true } } }).finish(),
  );
  const transcribeCall = client.transcribe({ deadline });
  let diarizeCall!: ClientWritableStream<Buffer>;
  const diarizeDone = new Promise<Diarization>((resolve, reject) => {
    diarizeCall = client.diarize({ deadline }, (err, result) =>
      err !== null
        ? reject(err)
        : result === undefined
          ? reject(internal('Diarize returned nothing'))
          : resolve(result),
    );
  });
  diarizeDone.catch(() => {});
  const cancelAll = () => {
    transcribeCall.cancel();
    diarizeCall.cancel();
  };
  signal.addEventListener('abort', cancelAll, { once: true });
  const targets: Array<RawTranscribeCall | ClientWritableStream<Buffer>> = [transcribeCall, diarizeCall];

  let pumpFailure: unknown;
  const pump = (async () => {
    for (const call of targets) await writeMessage(call, first, signal);
    for (let m = await rest.next(); m.done !== true; m = await rest.next()) {
      await Promise.all(targets.map((call) => writeMessage(call, m.value, signal)));
    }
    for (const call of targets) call.end();
  })().catch((err: unknown) => {
    pumpFailure = err;
    cancelAll();
  });

  try {
    const segments: Segment[] = [];
    let final: FinalResult | undefined;
    for await (const raw of readMessages<Buffer>(transcribeCall, signal)) {
      const event = TranscriptEvent.decode(raw).event;
      if (event?.$case === 'segment') segments.push(event.segment);
      else if (event?.$case === 'final') final = event.final;
    }
    await pump;
    if (pumpFailure !== undefined) throw pumpFailure;
    if (final === undefined) throw internal('the transcriber ended the stream without a final event');
    const diarization = await diarizeDone;
    const assignStarted = performance.now();
    // Channels already name their speakers in the transcript; otherwise turns are assigned to words.
    const byChannel = final.diarizationBackend === 'channels';
    const labelled = byChannel ? segments : assignSpeakers(segments, diarization.turns);
    const assignMs = performance.now() - assignStarted;
    for (const segment of labelled) {
      const out = config.wordTimestamps ? segment : { ...segment, words: [] };
      yield Buffer.from(TranscriptEvent.encode({ event: { $case: 'segment', segment: out } }).finish());
    }
    const totalMs = performance.now() - startedAt;
    const speakers = byChannel ? final.speakers : diarization.speakers;
    const finished: FinalResult = {
      ...final,
      speakers,
      speakerTurns: diarization.turns,
      diarizationBackend: byChannel ? 'channels' : diarization.backend,
      speakerCountConfidence: byChannel ? final.speakerCountConfidence : diarization.countConfidence,
      speakerCountAlternatives: byChannel ? final.speakerCountAlternatives : diarization.countAlternatives,
      rtf: final.audioDurationSec > 0 ? totalMs / 1000 / final.audioDurationSec : 0,
      timings: {
        ...(final.timings ?? {
          decodeMs: 0,
          vadMs: 0,
          queueMs: 0,
          asrMs: 0,
          alignMs: 0,
          diarizeMs: 0,
          assignMs: 0,
          totalMs: 0,
        }),
        diarizeMs: diarization.totalMs,
        assignMs,
        totalMs,
      },
    };
    yield Buffer.from(TranscriptEvent.encode({ event: { $case: 'final', final: finished } }).finish());
  } catch (err: unknown) {
    cancelAll();
    throw pumpFailure ?? (signal.aborted ? signal.reason : err);
  } finally {
    signal.removeEventListener('abort', cancelAll);
  }
}
