import type { Readable } from 'node:stream';
import { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { HttpExchange, Route } from './http-exchange.js';
import { toHttpFailure } from './http-status.js';
import { readUpload } from './multipart-upload.js';
import { invalidParam, openAiErrorBody } from './openai-errors.js';
import { openAiBody } from './openai-formats.js';
import { checkDecoding } from './openai-decoding.js';
import { checkModel } from './openai-models.js';
import { openAiOptions, withQuery, type OpenAiOptions } from './openai-options.js';
import { OpenAiEventStream } from './openai-stream.js';
import { transcribeUpload } from './transcribe-upload.js';
import { spoolUpload, type SpooledFile } from './upload-spool.js';

/**
 * A streamed upload started with the options sent before the file; those sent after it may not
 * change what the transcriber was already asked for.
 */
function sameAsStarted(started: OpenAiOptions, final: OpenAiOptions): void {
  if (final.language !== started.language)
    throw invalidParam('language', 'language was given twice with different values; send it once');
  if (final.diarization !== started.diarization)
    throw invalidParam(
      'diarization',
      'diarization (or response_format=diarized_json) came after the file: send it before the file part, or as a query parameter (?diarization=auto)',
    );
  // A temperature of 0 sent late is what the stream started with; so is the same prompt, spaced differently.
  const same = { prompt: (o: OpenAiOptions) => o.prompt.trim(), temperature: (o: OpenAiOptions) => o.temperature ?? 0 };
  for (const name of ['prompt', 'temperature'] as const)
    if (same[name](final) !== same[name](started))
      throw invalidParam(
        name,
        `${name} came after the file, once the audio was already being transcribed: send it before the file part, or as a query parameter`,
      );
}

/**
 * `POST /v1/audio/transcriptions`, the OpenAI API, so the OpenAI SDKs and the tools built on them can
 * point their base URL at callscribe. When `language` is known before the file part (a form field
 * sent first, or `?language=` in the URL) the audio streams to the transcriber as it arrives;
 * otherwise the language may still follow, and the upload is spooled to disk first (upload-spool.ts).
 */
export const openAiTranscriptionRoute: Route = {
  method: 'POST',
  path: '/v1/audio/transcriptions',
  upload: true,
  async handle(x: HttpExchange) {
    const upload = readUpload(x.req, x.maxUploadBytes, x.signal);
    const file = await upload.file;
    if (file === undefined) throw invalidParam('file', 'the form has no field named "file" (the audio to transcribe)');
    const before = withQuery(x.req, file.fieldsBefore);
    const early = openAiOptions(before);
    const streamed = before.has('language');
    let spooled: SpooledFile | undefined;
    let audio: Readable | undefined;
    let events: OpenAiEventStream | undefined;
    try {
      if (!streamed) spooled = await spoolUpload(file.stream, x.signal);
      const options = streamed ? early : openAiOptions(withQuery(x.req, await upload.fields));
      await checkModel(options.model, x.engines);
      await checkDecoding(options, x.engines);
      // Granularities may still follow a streamed file: ask for words unless the format cannot show them.
      const words = streamed
        ? !before.has('response_format') || early.format === 'verbose_json'
        : options.granularities.includes('word');
      const config = TranscriptionConfig.fromPartial({
        language: options.language,
        wordTimestamps: words,
        diarization: options.diarization,
        requestTag: `openai:${file.filename}`,
        prompt: options.prompt,
        temperature: options.temperature,
      });
      if (options.stream) events = new OpenAiEventStream(x.res, options.format === 'diarized_json');
      audio = spooled?.open() ?? file.stream;
      const { segments, final } = await transcribeUpload(config, audio, x.transcriber(), x.signal, x.deadline, (s) =>
        events?.segment(s),
      );
      const finalOptions = streamed ? openAiOptions(withQuery(x.req, await upload.fields)) : options;
      if (streamed) {
        sameAsStarted(options, finalOptions);
        await checkModel(finalOptions.model, x.engines);
      }
      // stream=true sent after a streamed file: the same events, all at the end.
      if (finalOptions.stream) {
        events ??= new OpenAiEventStream(x.res, finalOptions.format === 'diarized_json');
        events.done(segments, final);
        return undefined;
      }
      return { status: 200, ...openAiBody(finalOptions.format, finalOptions.granularities, segments, final) };
    } catch (err: unknown) {
      // Once events have gone out the status is sent: the failure becomes the stream's last event.
      if (events?.started !== true) throw err;
      events.fail(toHttpFailure(x.signal.aborted ? x.signal.reason : err));
      return undefined;
    } finally {
      // Also when the transcriber refused the request before reading any audio (a bad language, say).
      file.stream.destroy();
      audio?.destroy();
      await spooled?.remove();
    }
  },
  // OpenAI's error shape: the SDKs raise it as APIError with this message.
  errorBody: openAiErrorBody,
};
