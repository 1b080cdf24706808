import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import { requestDecoding } from '#common/request-decoding.js';
import type { OpenAiOptions } from './openai-options.js';

/**
 * Refuses, before any audio is read, a prompt or temperature that no engine behind this gateway
 * honours, with the transcriber's own rule and message and the form field as `param`. The
 * transcriber checks again for the engine it runs.
 */
export async function checkDecoding(
  options: Pick<OpenAiOptions, 'prompt' | 'temperature'>,
  engines: () => Promise<EngineInfo[]>,
): Promise<void> {
  if (options.prompt.trim() === '' && (options.temperature ?? 0) === 0) return;
  let refusal: unknown;
  for (const engine of await engines()) {
    try {
      requestDecoding(options, engine);
      return;
    } catch (err: unknown) {
      refusal ??= err;
    }
  }
  if (refusal !== undefined) throw refusal;
}
