import type { IncomingMessage } from 'node:http';
import { DiarizationMode } from '#gen/callscribe/v1/audio.js';
import type { FormFields } from './multipart-upload.js';
import { invalidParam } from './openai-errors.js';
import { GRANULARITIES, RESPONSE_FORMATS, type Granularity, type ResponseFormat } from './openai-formats.js';

export interface OpenAiOptions {
  /** As sent; checked against the engines by checkModel (openai-models.ts). */
  model: string | undefined;
  language: string;
  format: ResponseFormat;
  granularities: Granularity[];
  stream: boolean;
  diarization: DiarizationMode;
  /** Whisper's initial prompt, "" for none: the transcriber refuses it when its engine takes none. */
  prompt: string;
  /** Unset when not sent; the transcriber refuses a non-zero one when its engine cannot sample. */
  temperature: number | undefined;
}

export const DIARIZATIONS = ['none', 'auto', 'channels', 'cluster'] as const;
const DIARIZATION_MODE: Record<(typeof DIARIZATIONS)[number], DiarizationMode> = {
  none: DiarizationMode.NONE,
  auto: DiarizationMode.AUTO,
  channels: DiarizationMode.CHANNELS,
  cluster: DiarizationMode.CLUSTER,
};

// OpenAI streams events for these; the others are whole documents (as api.openai.com refuses them too).
const STREAMED_FORMATS: readonly ResponseFormat[] = ['json', 'text', 'diarized_json'];

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw invalidParam(name, `${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** The query string's parameters, then the form's fields: either may carry any option. */
export function withQuery(req: IncomingMessage, fields: FormFields): FormFields {
  const merged: FormFields = new Map();
  for (const [name, value] of new URL(req.url ?? '/', 'http://gateway').searchParams)
    merged.set(name, [...(merged.get(name) ?? []), value]);
  for (const [name, values] of fields) merged.set(name, [...(merged.get(name) ?? []), ...values]);
  return merged;
}

const listed = (fields: FormFields, name: string) => [...(fields.get(`${name}[]`) ?? []), ...(fields.get(name) ?? [])];

/**
 * Refuses what no engine here can do, rather than ignore it: an answer that silently differs from
 * what was asked for is worse than a 400 that says so.
 */
function refuseUnsupported(fields: FormFields, last: (name: string) => string | undefined): void {
  if (listed(fields, 'include').length > 0)
    throw invalidParam(
      'include[]',
      `include[]=${listed(fields, 'include').join(',')} is not supported: the engines report no token log probabilities`,
    );
  for (const name of ['known_speaker_names', 'known_speaker_references'])
    if (listed(fields, name).length > 0)
      throw invalidParam(`${name}[]`, `${name}[] is not supported: speakers are labelled, not identified`);
  const chunking = last('chunking_strategy');
  if (chunking !== undefined && chunking !== 'auto')
    throw invalidParam(
      'chunking_strategy',
      'chunking_strategy must be "auto": the audio is always cut at the pauses the VAD finds',
    );
}

/** OpenAI's range; whether the engine can sample at all is the transcriber's to say. */
function temperatureOf(sent: string | undefined): number | undefined {
  if (sent === undefined || sent.trim() === '') return undefined;
  const t = Number(sent);
  if (!Number.isFinite(t) || t < 0 || t > 1)
    throw invalidParam('temperature', `temperature must be a number from 0 to 1, got "${sent}"`);
  return t;
}

/** The form's options (with the query's), checked; see docs/api.md for what each does here. */
export function openAiOptions(fields: FormFields): OpenAiOptions {
  const last = (name: string) => fields.get(name)?.at(-1);
  refuseUnsupported(fields, last);
  const format = oneOf('response_format', last('response_format') ?? 'json', RESPONSE_FORMATS);
  const granularities = listed(fields, 'timestamp_granularities').map((g) =>
    oneOf('timestamp_granularities[]', g, GRANULARITIES),
  );
  if (granularities.length > 0 && format !== 'verbose_json')
    throw invalidParam('timestamp_granularities[]', 'timestamp_granularities[] needs response_format=verbose_json');
  const stream = oneOf('stream', last('stream') ?? 'false', ['true', 'false'] as const) === 'true';
  if (stream && !STREAMED_FORMATS.includes(format))
    throw invalidParam(
      'stream',
      `stream=true answers events for response_format ${STREAMED_FORMATS.join(', ')}; ${format} is a whole document, ask for it without stream`,
    );
  const asked = last('diarization');
  const diarization =
    asked === undefined
      ? format === 'diarized_json'
        ? DiarizationMode.AUTO
        : DiarizationMode.NONE
      : DIARIZATION_MODE[oneOf('diarization', asked, DIARIZATIONS)];
  if (format === 'diarized_json' && diarization === DiarizationMode.NONE)
    throw invalidParam(
      'diarization',
      'response_format=diarized_json needs diarization (auto, channels or cluster), not none',
    );
  return {
    model: last('model'),
    language: last('language') ?? '',
    format,
    granularities,
    stream,
    diarization,
    prompt: last('prompt') ?? '',
    temperature: temperatureOf(last('temperature')),
  };
}
