import type { Readable } from 'node:stream';
import { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { invalidArgument } from '#common/service-error.js';
import type { HttpExchange, Route } from './http-exchange.js';
import { readUpload, type FormFields } from './multipart-upload.js';
import {
  GRANULARITIES,
  openAiBody,
  RESPONSE_FORMATS,
  type Granularity,
  type ResponseFormat,
} from './openai-formats.js';
import { transcribeUpload } from './transcribe-upload.js';
import { spoolUpload, type SpooledFile } from './upload-spool.js';

interface OpenAiOptions {
  language: string;
  format: ResponseFormat;
  granularities: Granularity[];
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw invalidArgument(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/**
 * The form's options. `model`, `prompt` and `temperature` are accepted and not used: the engine is
 * the server's (see the final result's engine), and none of them takes a prompt or a temperature.
 */
function openAiOptions(fields: FormFields): OpenAiOptions {
  const last = (name: string) => fields.get(name)?.at(-1);
  if (last('stream') === 'true')
    throw invalidArgument('stream=true is not supported; the whole transcript is answered at once');
  const format = oneOf('response_format', last('response_format') ?? 'json', RESPONSE_FORMATS);
  const granularities = [
    ...(fields.get('timestamp_granularities[]') ?? []),
    ...(fields.get('timestamp_granularities') ?? []),
  ].map((g) => oneOf('timestamp_granularities[]', g, GRANULARITIES));
  if (granularities.length > 0 && format !== 'verbose_json')
    throw invalidArgument('timestamp_granularities[] needs response_format=verbose_json');
  return { language: last('language') ?? '', format, granularities };
}

/**
 * `POST /v1/audio/transcriptions`, the OpenAI API, so the OpenAI SDKs and the tools built on them can
 * point their base URL at callscribe. When `language` comes before the file part the audio streams to
 * the transcriber as it arrives; otherwise the language may still follow, and the upload is spooled
 * to disk first (see upload-spool.ts).
 */
export const openAiTranscriptionRoute: Route = {
  method: 'POST',
  path: '/v1/audio/transcriptions',
  async handle(x: HttpExchange) {
    const upload = readUpload(x.req, x.maxUploadBytes, x.signal);
    const file = await upload.file;
    if (file === undefined) throw invalidArgument('the form has no field named "file" (the audio to transcribe)');
    const early = openAiOptions(file.fieldsBefore);
    const streamed = file.fieldsBefore.has('language');
    let spooled: SpooledFile | undefined;
    let audio: Readable | undefined;
    try {
      if (!streamed) spooled = await spoolUpload(file.stream, x.signal);
      const options = streamed ? early : openAiOptions(await upload.fields);
      // Granularities may still follow a streamed file: ask for words unless the format cannot show them.
      const words = streamed
        ? !file.fieldsBefore.has('response_format') || early.format === 'verbose_json'
        : options.granularities.includes('word');
      const config = TranscriptionConfig.fromPartial({
        language: options.language,
        wordTimestamps: words,
        requestTag: `openai:${file.filename}`,
      });
      audio = spooled?.open() ?? file.stream;
      const { segments, final } = await transcribeUpload(config, audio, x.transcriber(), x.signal, x.deadline);
      const finalOptions = streamed ? openAiOptions(await upload.fields) : options;
      return { status: 200, ...openAiBody(finalOptions.format, finalOptions.granularities, segments, final) };
    } finally {
      // Also when the transcriber refused the request before reading any audio (a bad language, say).
      file.stream.destroy();
      audio?.destroy();
      await spooled?.remove();
    }
  },
  // OpenAI's error shape: the SDKs raise it as APIError with this message.
  errorBody: (failure) =>
    JSON.stringify({
      error: {
        message: failure.message,
        type: failure.httpStatus >= 500 ? 'server_error' : 'invalid_request_error',
        param: null,
        code: failure.code,
      },
    }),
};
