import { AUDIO_EXTENSIONS } from '#client/audio-extensions.js';
import { clientSecurityOptions, gatewayTargetOption } from '#common/client-options.js';
import { option, OptionError, parsers } from '#common/options.js';
import { OUTPUT_FORMATS } from './output-formats.js';

const FORMAT_CHOICES = [...OUTPUT_FORMATS, 'all'] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

/** One format, `all`, or several joined by commas (srt,vtt). */
const outputFormats = Object.assign(
  (raw: string, name: string): FormatChoice[] => {
    const asked = parsers.list(raw);
    for (const f of asked)
      if (!(FORMAT_CHOICES as readonly string[]).includes(f))
        throw new OptionError(
          `${name} must be one of ${FORMAT_CHOICES.join(', ')} (or several, comma-separated), got "${f}"`,
        );
    return [...new Set(asked as FormatChoice[])];
  },
  { choices: FORMAT_CHOICES },
);

export const cliOptions = {
  ...gatewayTargetOption,
  ...clientSecurityOptions,
  json: option({
    flag: 'json',
    defaultValue: false,
    help: 'print one JSON object (segments + final) instead of text',
    parse: parsers.boolean,
  }),
  outputFormat: option({
    flag: 'output-format',
    aliases: ['output_format'],
    short: 'f',
    defaultValue: [] as FormatChoice[],
    help: 'write these files per input (all = every format; rttm only when diarizing) instead of printing; without -o, into the current folder',
    parse: outputFormats,
  }),
  outputDir: option({
    flag: 'output-dir',
    aliases: ['output_dir'],
    short: 'o',
    defaultValue: '',
    help: 'folder for <name>.<ext> per input (created if missing); alone, writes --output-format all',
    parse: parsers.string,
  }),
  encoding: option({
    flag: 'encoding',
    defaultValue: 'auto' as 'auto' | 'pcm_s16le' | 'mulaw' | 'alaw' | 'f32le',
    help: 'audio encoding; raw encodings need --sample-rate',
    parse: parsers.choice(['auto', 'pcm_s16le', 'mulaw', 'alaw', 'f32le'] as const),
  }),
  sampleRate: option({
    flag: 'sample-rate',
    defaultValue: 0,
    help: 'sample rate of raw audio in Hz',
    parse: parsers.int(0, 384000),
  }),
  channels: option({ flag: 'channels', defaultValue: 1, help: 'channels of raw audio', parse: parsers.int(1, 8) }),
  language: option({
    flag: 'language',
    defaultValue: '',
    help: 'language code, e.g. en (empty = detect)',
    parse: parsers.string,
  }),
  prompt: option({
    flag: 'prompt',
    aliases: ['initial_prompt', 'initial-prompt'],
    defaultValue: '',
    help: 'text the engine continues from: names and terms the calls use (whisperX and hf engines; sphinx refuses it)',
    parse: parsers.string,
  }),
  temperature: option({
    flag: 'temperature',
    defaultValue: 0,
    help: 'decoding temperature, 0 to 1 (0 = deterministic; above 0 samples: whisperX and hf engines)',
    parse: parsers.number(0, 1),
  }),
  words: option({
    flag: 'words',
    defaultValue: false,
    help: 'ask for word timestamps (text: one line per word under its segment)',
    parse: parsers.boolean,
  }),
  diarization: option({
    flag: 'diarization',
    defaultValue: 'none' as 'none' | 'channels' | 'cluster' | 'auto',
    help: 'who spoke when: channels (stereo), cluster (mono), auto',
    parse: parsers.choice(['none', 'channels', 'cluster', 'auto'] as const),
  }),
  diarize: option({
    flag: 'diarize',
    defaultValue: false,
    help: "whisperX's spelling of --diarization auto",
    parse: parsers.boolean,
  }),
  minSpeakers: option({
    flag: 'min-speakers',
    aliases: ['min_speakers'],
    defaultValue: 0,
    help: 'lower bound on speakers (0 = estimate)',
    parse: parsers.int(0, 32),
  }),
  maxSpeakers: option({
    flag: 'max-speakers',
    aliases: ['max_speakers'],
    defaultValue: 0,
    help: 'upper bound on speakers (0 = estimate)',
    parse: parsers.int(0, 32),
  }),
  channelLabels: option({
    flag: 'channel-labels',
    defaultValue: [] as string[],
    help: 'speaker names of the channels, e.g. agent,customer',
    parse: parsers.list,
  }),
  requestTag: option({
    flag: 'request-tag',
    defaultValue: '',
    help: 'free text the servers log with every line of this request (config.request_tag)',
    parse: parsers.string,
  }),
  rttm: option({
    flag: 'rttm',
    defaultValue: '',
    help: "write the diarizer's speaker turns for one FILE to this RTTM file (from a gateway too old to send them: consecutive words of one speaker, split at pauses over 0.5 s)",
    parse: parsers.string,
  }),
  chunkBytes: option({
    flag: 'chunk-bytes',
    defaultValue: 32 * 1024,
    help: 'bytes per streamed message',
    parse: parsers.int(256, 16 * 1024 * 1024),
  }),
  deadlineMs: option({
    flag: 'deadline-ms',
    defaultValue: 600_000,
    help: 'deadline for each file',
    parse: parsers.int(1, 86_400_000),
  }),
};

export type CliOptions = {
  [K in keyof typeof cliOptions]: (typeof cliOptions)[K] extends { defaultValue: infer T } ? T : never;
};

export const USAGE = `usage: callscribe transcribe FILE... [options]
       callscribe stats [--target host:port]

FILE is a file, a folder (its ${AUDIO_EXTENSIONS.map((e) => `.${e}`).join(' ')} files) or a quoted
pattern with * ? in its last part ("calls/*.wav"). Without -o/-f the transcript is printed (text,
or --json; several files: a "==> FILE <==" header each, or one JSON line each). With them, each
input becomes <name>.<ext> in the output folder, written whole or not at all. Several files show
progress and a summary (files, audio hours, RTFx, failures) on stderr; the exit code is 1 if any
file failed, and the others are still done.

whisperX spellings accepted: --output_format/-f, --output_dir/-o, --diarize (= --diarization auto),
--min_speakers, --max_speakers, --language (a code: en, de, ...), --initial_prompt (= --prompt),
--temperature.`;
