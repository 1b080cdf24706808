import type { FinalResult, Segment } from '#gen/callscribe/v1/transcript.js';
import { WHISPER_LANGUAGES } from '#common/language.js';
import { toSrt, toVtt } from '#client/subtitles.js';

export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json', 'diarized_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];
export const GRANULARITIES = ['segment', 'word'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface FormattedBody {
  contentType: string;
  body: string;
}

// The engines report none of Whisper's decoding statistics (seek, tokens, temperature, avg_logprob,
// compression_ratio, no_speech_prob): they are left out, not made up (docs/api.md).
const verboseSegment = (s: Segment, id: number) => ({ id, start: s.startSec, end: s.endSec, text: s.text });

/** A segment of `diarized_json`, and of its stream's `transcript.text.segment` events. */
export const diarizedSegment = (s: Segment, index: number) => ({
  type: 'transcript.text.segment' as const,
  id: `seg_${index}`,
  start: s.startSec,
  end: s.endSec,
  text: s.text.trim(),
  speaker: s.speaker,
});

/** The transcript's text, as every format and the stream's done event have it. */
export const transcriptText = (segments: readonly Segment[]): string => segments.map((s) => s.text.trim()).join(' ');

/** OpenAI's duration usage: whole seconds of audio. */
export const durationUsage = (final: FinalResult) => ({
  type: 'duration' as const,
  seconds: Math.ceil(final.audioDurationSec),
});

/** One transcript in the OpenAI `response_format` asked for, as api.openai.com shapes it. */
export function openAiBody(
  format: ResponseFormat,
  granularities: readonly Granularity[],
  segments: readonly Segment[],
  final: FinalResult,
): FormattedBody {
  const text = transcriptText(segments);
  const usage = durationUsage(final);
  // api.openai.com answers every non-JSON format as text/plain; tools built on it read it as such.
  const plain = 'text/plain; charset=utf-8';
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: JSON.stringify({ text, usage }) };
    case 'text':
      return { contentType: plain, body: `${text}\n` };
    case 'srt':
      return { contentType: plain, body: toSrt(segments) };
    case 'vtt':
      return { contentType: plain, body: toVtt(segments) };
    case 'verbose_json': {
      // Segments unless only words were asked for, as OpenAI does.
      const wantSegments = granularities.length === 0 || granularities.includes('segment');
      const body = {
        task: 'transcribe',
        language: WHISPER_LANGUAGES.get(final.language) ?? final.language,
        duration: final.audioDurationSec,
        text,
        ...(wantSegments ? { segments: segments.map(verboseSegment) } : {}),
        ...(granularities.includes('word')
          ? {
              words: segments.flatMap((s) => s.words.map((w) => ({ word: w.text, start: w.startSec, end: w.endSec }))),
            }
          : {}),
        usage,
      };
      return { contentType: 'application/json', body: JSON.stringify(body) };
    }
    case 'diarized_json': {
      const body = {
        task: 'transcribe',
        duration: final.audioDurationSec,
        text,
        segments: segments.map(diarizedSegment),
        usage,
      };
      return { contentType: 'application/json', body: JSON.stringify(body) };
    }
  }
}
