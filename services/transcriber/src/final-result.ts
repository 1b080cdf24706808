import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { EngineInfo, FinalResult, Segment } from '#gen/callscribe/v1/transcript.js';
import { channelLabel } from '#common/channel-labels.js';
import type { TrackTally } from './chunks/chunk-transcription.js';
import type { SourceInfo } from './audio/decode/audio-decoder.js';
import { TARGET_RATE_HZ } from './audio/resampler.js';

export interface FinishedRequest {
  config: TranscriptionConfig;
  segments: Segment[];
  source: SourceInfo;
  audioSamples: number;
  decodeMs: number;
  vadMs: number;
  tallies: TrackTally[];
  engine: EngineInfo;
  /** The Whisper code used: the one asked for, or the one detected ("" when there was no speech). */
  language: string;
  startedAt: number;
}

/** The summary sent after the last segment: transcript, stage timings, RTF, source and engine. */
export function finalResult(r: FinishedRequest): FinalResult {
  const audioSec = r.audioSamples / TARGET_RATE_HZ;
  const chunks = r.tallies.reduce((n, t) => n + t.chunks, 0);
  const totalMs = performance.now() - r.startedAt;
  const byChannel = r.tallies.length > 1;
  return {
    transcript: r.segments.map((s) => s.text).join(' '),
    audioDurationSec: audioSec,
    timings: {
      decodeMs: r.decodeMs,
      vadMs: r.vadMs,
      queueMs: chunks === 0 ? 0 : r.tallies.reduce((n, t) => n + t.queueMs, 0) / chunks,
      asrMs: r.tallies.reduce((n, t) => n + t.asrMs, 0),
      alignMs: 0,
      diarizeMs: 0,
      assignMs: 0,
      totalMs,
    },
    rtf: audioSec > 0 ? totalMs / 1000 / audioSec : 0,
    engine: r.engine,
    speechSec: r.tallies.reduce((n, t) => n + t.speechSamples, 0) / TARGET_RATE_HZ,
    chunkCount: chunks,
    channels: r.source.channels,
    sourceSampleRateHz: r.source.sampleRateHz,
    sourceFormat: r.source.sourceFormat,
    speakers: byChannel ? r.tallies.map((_, c) => channelLabel(r.config, c)) : [],
    diarizationBackend: byChannel ? 'channels' : '',
    // One speaker per channel: the count is exact.
    speakerCountConfidence: byChannel ? 1 : 0,
    speakerCountAlternatives: byChannel ? [{ speakers: r.tallies.length, score: 1 }] : [],
    language: r.language,
    // The gateway fills these in when it diarized the request.
    speakerTurns: [],
  };
}
