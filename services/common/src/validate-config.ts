import {
  AudioEncoding,
  DiarizationMode,
  type AudioStreamRequest,
  type TranscriptionConfig,
} from '#gen/callscribe/v1/audio.js';
import { whisperLanguage } from './language.js';
import { noteRequestTag } from './request-context.js';
import { invalidArgument } from './service-error.js';

const MAX_SPEAKERS = 32;
// A tag is for correlating logs; a longer one would only bloat every log line it is copied into.
const MAX_REQUEST_TAG_CHARS = 256;

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
  if (config.maxSpeakers > MAX_SPEAKERS)
    throw invalidArgument(`config.max_speakers must be at most ${MAX_SPEAKERS}, got ${config.maxSpeakers}`);
  // max_speakers 0 means "no upper bound", so min_speakers needs its own ceiling.
  if (config.minSpeakers > MAX_SPEAKERS)
    throw invalidArgument(`config.min_speakers must be at most ${MAX_SPEAKERS}, got ${config.minSpeakers}`);
  if (config.requestTag.length > MAX_REQUEST_TAG_CHARS)
    throw invalidArgument(
      `config.request_tag must be at most ${MAX_REQUEST_TAG_CHARS} characters, got ${config.requestTag.length}`,
    );
  if (config.channelLabels.length > 8 || config.channelLabels.some((l) => l.length > 64)) {
    throw invalidArgument('config.channel_labels takes at most 8 labels of at most 64 characters');
  }
  return config;
}

/** Set (with the parser's message) on a request the transcriber could not parse as protobuf. */
export const MALFORMED_MESSAGE = Symbol('malformed message');

function rejectMalformed(message: AudioStreamRequest, index: number): void {
  const why = (message as { [MALFORMED_MESSAGE]?: string })[MALFORMED_MESSAGE];
  if (why !== undefined)
    throw invalidArgument(
      `message ${index} is not a valid AudioStreamRequest (${why}); check the client's protobuf encoding`,
    );
}

/** The first message must be the config; audio first is a client bug worth naming. */
export function expectConfig(first: IteratorResult<AudioStreamRequest>): TranscriptionConfig {
  if (first.done === true)
    throw invalidArgument('the stream ended before any message; send a config message first, then audio');
  rejectMalformed(first.value, 0);
  const payload = first.value.payload;
  if (payload === undefined) throw invalidArgument('the first message is empty; it must carry config');
  if (payload.$case !== 'config')
    throw invalidArgument('the first message carried audio; send a config message first, then audio');
  noteRequestTag(payload.config.requestTag);
  return validateConfig(payload.config);
}

/** Audio bytes of a later message, rejecting a second config. */
export function audioOf(message: AudioStreamRequest, index: number): Buffer {
  rejectMalformed(message, index);
  const payload = message.payload;
  if (payload?.$case === 'audio') return payload.audio;
  if (payload?.$case === 'config')
    throw invalidArgument(`message ${index} carries a second config; only the first message may`);
  return Buffer.alloc(0);
}
