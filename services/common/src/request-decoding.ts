import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import { invalidArgument, type ServiceError } from './service-error.js';

/**
 * Whisper keeps only the last 223 tokens of a prompt; 1,000 characters is well past that in any
 * language, so a longer one is a mistake (a transcript pasted in), not context.
 */
export const MAX_PROMPT_CHARS = 1000;

export interface RequestDecoding {
  prompt: string;
  temperature: number;
}

/** INVALID_ARGUMENT naming the field at fault (the gateway's OpenAI edge answers it as `param`). */
const refused = (field: 'prompt' | 'temperature', message: string): ServiceError =>
  Object.assign(invalidArgument(message), { param: field });

/**
 * A request's prompt and temperature, checked against what the engine honours: by the transcriber
 * for its own engine, and by the gateway against the engines behind it before any audio is read. An engine that cannot
 * take them refuses them: a prompt silently dropped would make a caller trust vocabulary hints that
 * never reached the model.
 */
export function requestDecoding(
  config: Pick<TranscriptionConfig, 'prompt' | 'temperature'>,
  engine: Pick<EngineInfo, 'backend' | 'decodingOptions'>,
): RequestDecoding {
  const prompt = config.prompt.trim();
  const temperature = config.temperature ?? 0;
  if (prompt.length > MAX_PROMPT_CHARS)
    throw refused(
      'prompt',
      `prompt is ${prompt.length} characters; at most ${MAX_PROMPT_CHARS} are taken (Whisper keeps only the last 223 tokens): keep the names and terms the call needs`,
    );
  // Whisper's tokenizers read "<|endoftext|>" in text as the control token itself: a prompt holding
  // one would steer the decoder (faster-whisper) or fail the whole batch it shares (transformers).
  const control = /<\|[^|<>]*\|>/.exec(prompt);
  if (control !== null)
    throw refused('prompt', `prompt holds "${control[0]}", one of Whisper's control tokens; remove it from the prompt`);
  if (prompt !== '' && !engine.decodingOptions.includes('prompt'))
    throw refused(
      'prompt',
      `the ${engine.backend} engine takes no prompt; leave prompt empty, or send the request to a transcriber running --engine whisperx or hf`,
    );
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 1)
    throw refused('temperature', `temperature must be between 0 and 1, got ${temperature}`);
  if (temperature > 0 && !engine.decodingOptions.includes('temperature'))
    throw refused(
      'temperature',
      `the ${engine.backend} engine decodes deterministically only; leave temperature unset or 0, or send the request to a transcriber running --engine whisperx or hf`,
    );
  return { prompt, temperature };
}
