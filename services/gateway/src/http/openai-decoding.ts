import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import { invalidParam } from './openai-errors.js';
import type { OpenAiOptions } from './openai-options.js';

const WHY: Record<'prompt' | 'temperature', string> = {
  prompt: 'takes no prompt; leave prompt out',
  temperature: 'decodes deterministically only; leave temperature out or send 0',
};

/**
 * Refuses, before any audio is read, a prompt or temperature that no engine behind this gateway
 * honours, naming the form field. The transcriber refuses them too; this is where `param` is known.
 */
export async function checkDecoding(
  options: Pick<OpenAiOptions, 'prompt' | 'temperature'>,
  engines: () => Promise<EngineInfo[]>,
): Promise<void> {
  const asked = [
    ...(options.prompt.trim() !== '' ? (['prompt'] as const) : []),
    ...((options.temperature ?? 0) > 0 ? (['temperature'] as const) : []),
  ];
  if (asked.length === 0) return;
  const known = await engines();
  for (const option of asked) {
    if (known.length === 0 || known.some((e) => e.decodingOptions.includes(option))) continue;
    const backends = [...new Set(known.map((e) => e.backend))].join(' and ');
    throw invalidParam(
      option,
      `the ${backends} engine ${WHY[option]}, or use a callscribe whose transcriber runs --engine whisperx or hf`,
    );
  }
}
