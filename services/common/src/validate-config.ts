import {
  AudioEncoding,
  DiarizationMode,
  type AudioStreamRequest,
  type TranscriptionConfig,
} from '#gen/callscribe/v1/audio.js';
import { whisperLanguage } from './language.js';
import { noteRequestTag } from './request-context.js';
import { invalidArgument } from './service-error.js';

/** Checks a request's config field by field; the message names the field and the allowed values. */
function validateConfig(config: TranscriptionConfig): TranscriptionConfig {
  const format = config.format;
  if (format !== undefined) {
    if (!(format.encoding in AudioEncoding))
      throw invalidArgument(`config.format.encoding ${format.encoding} is not a known encoding`);
    if (format.channels > 8)
      throw invalidArgument(`config.format.channels must be 1..8 (0 means 1), got ${format.channels}`);
  }
  // Refused here, at the first service that reads it, with the same message either service gives;
  // the transcriber maps it to the engine's code.
  whisperLanguage(config.language);
  if (!(config.diarization in DiarizationMode))
    throw invalidArgument(`config.diarization ${config.diarization} is not a known mode`);
  if (config.minSpeakers > 0 && config.maxSpeakers > 0 && config.minSpeakers > config.maxSpeakers) {
    throw invalidArgument(
      `config.min_speakers (${config.minSpeakers}) is greater than config.max_speakers (${config.maxSpeakers})`,
    );
  }
  if (config.maxSpeakers > 32)
    throw invalidArgument(`config.max_speakers must be at most 32, got ${config.maxSpeakers}`);
  if (config.channelLabels.length > 8 || config.channelLabels.some((l) => l.length > 64)) {
    throw invalidArgument('config.channel_labels takes at most 8 labels of at most 64 characters');
  }
  return config;
}

/** The first message must be the config; audio first is a client bug worth naming. */
export function expectConfig(first: IteratorResult<AudioStreamRequest>): TranscriptionConfig {
  if (first.done === true)
    throw invalidArgument('the stream ended before any message; send a config message first, then audio');
  const payload = first.value.payload;
  if (payload === undefined) throw invalidArgument('the first message is empty; it must carry config');
  if (payload.$case !== 'config')
    throw invalidArgument('the first message carried audio; send a config message first, then audio');
  noteRequestTag(payload.config.requestTag);
  return validateConfig(payload.config);
}

/** Audio bytes of a later message, rejecting a second config. */
export function audioOf(message: AudioStreamRequest, index: number): Buffer {
  const payload = message.payload;
  if (payload?.$case === 'audio') return payload.audio;
  if (payload?.$case === 'config')
    throw invalidArgument(`message ${index} carries a second config; only the first message may`);
  return Buffer.alloc(0);
}
