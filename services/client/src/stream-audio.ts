import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { AudioStreamRequest, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { TranscriptionConfig as ConfigCodec } from '#gen/callscribe/v1/audio.js';
import type { FinalResult, Segment, TranscriptEvent } from '#gen/callscribe/v1/transcript.js';

export type OpenStream = (options: { deadline?: number }) => ClientDuplexStream<AudioStreamRequest, TranscriptEvent>;

export interface StreamAudioOptions {
  config?: Partial<TranscriptionConfig>;
  /** Bytes per audio message; 32 KiB is about 1 s of 16 kHz 16-bit mono. */
  chunkBytes?: number;
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Wait between messages; undefined sends as fast as flow control allows. */
  delayBetweenChunksMs?: number;
  /** Send at this many bytes per second against an absolute schedule (a live call), so timer drift never accumulates. */
  paceBytesPerSec?: number;
  onAudioSent?(): void;
  onSegment?(segment: Segment): void;
  onFirstEvent?(): void;
}

export interface StreamAudioResult {
  segments: Segment[];
  final: FinalResult;
}

/** Sends config then audio in chunks, honouring flow control, and collects the events. */
export function streamAudio(
  open: OpenStream,
  audio: Buffer,
  options: StreamAudioOptions = {},
): Promise<StreamAudioResult> {
  const chunkBytes = options.chunkBytes ?? 32 * 1024;
  const call = open(options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs });
  const segments: Segment[] = [];
  let final: FinalResult | undefined;
  let first = true;
  const onAbort = () => call.cancel();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const result = new Promise<StreamAudioResult>((resolve, reject) => {
    call.on('data', (event: TranscriptEvent) => {
      if (first) {
        first = false;
        options.onFirstEvent?.();
      }
      if (event.event?.$case === 'segment') {
        segments.push(event.event.segment);
        options.onSegment?.(event.event.segment);
      } else if (event.event?.$case === 'final') final = event.event.final;
    });
    call.on('error', reject);
    call.on('end', () => {
      if (final === undefined) reject(new Error('stream ended without a final event'));
      else resolve({ segments, final });
    });
  }).finally(() => options.signal?.removeEventListener('abort', onAbort));
  void (async () => {
    const write = (msg: AudioStreamRequest) =>
      new Promise<void>((resolve) => {
        if (call.write(msg)) resolve();
        else call.once('drain', resolve);
      });
    try {
      await write({ payload: { $case: 'config', config: ConfigCodec.fromPartial(options.config ?? {}) } });
      const started = performance.now();
      for (let offset = 0; offset < audio.length; offset += chunkBytes) {
        if (options.signal?.aborted === true) return;
        if (options.paceBytesPerSec !== undefined) {
          const due = started + (offset / options.paceBytesPerSec) * 1000 - performance.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        await write({ payload: { $case: 'audio', audio: audio.subarray(offset, offset + chunkBytes) } });
        if (options.delayBetweenChunksMs !== undefined)
          await new Promise((r) => setTimeout(r, options.delayBetweenChunksMs));
      }
      call.end();
      options.onAudioSent?.();
    } catch {
      // The call failed while sending; the error arrives through the 'error' event.
    }
  })();
  return result;
}
