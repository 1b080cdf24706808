import type { FinalResult, Segment } from '#gen/callscribe/v1/transcript.js';

/** The JSON the WhisperX FastAPI server answered with; clients parse it, so keys and units stay. */
export interface LegacyResponse {
  segments: Array<{ speaker: string; sentence: string; start_time: number; end_time: number }>;
  response_time: number;
  debug: {
    no_of_calls: number;
    total_time_asr: number;
    audio_duration_sec: number;
    rtf: number;
    diarization_enabled: boolean;
    last_segment_end_sec: number;
    whisperx_perf: {
      load_audio_sec: number;
      asr_sec: number;
      diar_sec: number;
      assign_sec: number;
      mode: string;
      batch_size: number;
      device: string;
      compute_type: string;
      backend: string;
      model: string;
    };
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const sec = (ms: number | undefined) => round((ms ?? 0) / 1000, 3);

/**
 * Maps a transcript onto the old server's shape. Every time is in seconds. The old server named
 * speakers "Speaker 1" when it did not diarize, and pyannote's SPEAKER_00... when it did.
 */
export function legacyResponse(
  segments: readonly Segment[],
  final: FinalResult,
  diarization: boolean,
  responseSec: number,
): LegacyResponse {
  const t = final.timings;
  const engine = final.engine;
  const last = segments.at(-1);
  return {
    segments: segments.map((s) => ({
      speaker: diarization ? s.speaker : 'Speaker 1',
      sentence: s.text,
      start_time: round(s.startSec, 2),
      end_time: round(s.endSec, 2),
    })),
    response_time: round(responseSec, 2),
    debug: {
      // One file per request, as the old endpoint took.
      no_of_calls: 1,
      total_time_asr: sec(t?.totalMs),
      audio_duration_sec: round(final.audioDurationSec, 2),
      rtf: round(final.rtf, 4),
      diarization_enabled: diarization,
      last_segment_end_sec: round(last?.endSec ?? 0, 2),
      whisperx_perf: {
        load_audio_sec: sec(t?.decodeMs),
        asr_sec: sec(t?.asrMs),
        diar_sec: sec(t?.diarizeMs),
        assign_sec: sec(t?.assignMs),
        mode: (t?.alignMs ?? 0) > 0 ? 'aligned' : 'fast_no_align',
        batch_size: engine?.batchSize ?? 0,
        device: engine?.device ?? '',
        compute_type: engine?.computeType ?? '',
        backend: engine?.backend ?? '',
        model: engine?.model ?? '',
      },
    },
  };
}
