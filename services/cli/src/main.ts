#!/usr/bin/env node
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { AudioEncoding, DiarizationMode } from '#gen/callscribe/v1/audio.js';
import { toRttmLines } from '#client/rttm.js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { clientConnection, clientSecurityOptions } from '#common/client-options.js';
import { formatHelp, option, OptionError, parseOptions, parsers, unknownCommand } from '#common/options.js';
import { redactText, registerSecretsFromEnv } from '#common/redact.js';
import { packageVersion } from '#common/version.js';
import { streamAudio } from '#client/stream-audio.js';
import { formatFinal, formatSegment } from '#client/format.js';

const options = {
  target: option({
    flag: 'target',
    env: 'CALLSCRIBE_TARGET',
    defaultValue: '127.0.0.1:50051',
    help: 'gateway host:port',
    parse: parsers.hostPort,
  }),
  ...clientSecurityOptions,
  json: option({
    flag: 'json',
    defaultValue: false,
    help: 'print one JSON object (segments + final) instead of text',
    parse: parsers.boolean,
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
  language: option({ flag: 'language', defaultValue: '', help: 'language code, e.g. en', parse: parsers.string }),
  words: option({ flag: 'words', defaultValue: false, help: 'ask for word timestamps', parse: parsers.boolean }),
  diarization: option({
    flag: 'diarization',
    defaultValue: 'none' as 'none' | 'channels' | 'cluster' | 'auto',
    help: 'who spoke when: channels (stereo), cluster (mono), auto',
    parse: parsers.choice(['none', 'channels', 'cluster', 'auto'] as const),
  }),
  minSpeakers: option({
    flag: 'min-speakers',
    defaultValue: 0,
    help: 'lower bound on speakers (0 = estimate)',
    parse: parsers.int(0, 32),
  }),
  maxSpeakers: option({
    flag: 'max-speakers',
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
    help: 'write the speaker turns to this RTTM file',
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
    help: 'deadline for the whole call',
    parse: parsers.int(1, 86_400_000),
  }),
};

const DIARIZATION = {
  none: DiarizationMode.NONE,
  channels: DiarizationMode.CHANNELS,
  cluster: DiarizationMode.CLUSTER,
  auto: DiarizationMode.AUTO,
};
const ENCODINGS = {
  auto: AudioEncoding.AUTO,
  pcm_s16le: AudioEncoding.PCM_S16LE,
  mulaw: AudioEncoding.MULAW,
  alaw: AudioEncoding.ALAW,
  f32le: AudioEncoding.F32LE,
};
const COMMANDS = ['transcribe', 'stats'];
const usage = 'usage: callscribe transcribe FILE [options]\n       callscribe stats [--target host:port]';

async function main(argv: string[]): Promise<number> {
  registerSecretsFromEnv();
  const args = parseOptions(options, argv);
  const [command, file, ...extra] = args.positionals;
  if (args.version) {
    process.stdout.write(`callscribe ${packageVersion()}\n`);
    return 0;
  }
  if (args.help || command === undefined) {
    process.stdout.write(formatHelp(usage, options));
    return command === undefined && !args.help ? 2 : 0;
  }
  if (!COMMANDS.includes(command)) throw unknownCommand('callscribe', command, COMMANDS);
  if (extra.length > 0) throw new OptionError(`unexpected argument "${extra[0]}"; ${usage}`);
  const o = args.values;
  const connection = clientConnection(o);
  const client = new GatewayClient(o.target, connection.credentials, connection.options);
  try {
    if (command === 'stats') {
      const stats = await new Promise((resolve, reject) =>
        client.getServerStats({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, s) =>
          err !== null ? reject(err) : resolve(s),
        ),
      );
      process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
      return 0;
    }
    if (file === undefined) throw new OptionError(`transcribe needs a FILE; ${usage}`);
    const audio = await readFile(file);
    const result = await streamAudio((opts) => client.streamTranscribe(opts), audio, {
      chunkBytes: o.chunkBytes,
      deadlineMs: o.deadlineMs,
      config: {
        format: { encoding: ENCODINGS[o.encoding], sampleRateHz: o.sampleRate, channels: o.channels },
        language: o.language,
        wordTimestamps: o.words,
        diarization: DIARIZATION[o.diarization],
        minSpeakers: o.minSpeakers,
        maxSpeakers: o.maxSpeakers,
        channelLabels: o.channelLabels,
        requestTag: o.requestTag,
      },
      onSegment: (s) => {
        if (!o.json) process.stdout.write(formatSegment(s) + '\n');
      },
    });
    if (o.rttm !== '') {
      // A turn per labelled segment; written aside and renamed, so a failed run leaves no half file.
      const turns = result.segments
        .filter((s) => s.speaker !== '')
        .map((s) => ({ startSec: s.startSec, endSec: s.endSec, speaker: s.speaker }));
      await writeFile(`${o.rttm}.tmp`, toRttmLines(basename(file).replace(/\.[^.]+$/, ''), turns));
      await rename(`${o.rttm}.tmp`, o.rttm);
    }
    if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else
      process.stdout.write(
        (result.segments.length === 0 ? '(no speech found)\n' : '') + formatFinal(result.final) + '\n',
      );
    return 0;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof OptionError) process.stderr.write(redactText(`callscribe: ${err.message}\n`));
    else {
      const e = err as { code?: number; details?: string; message?: string };
      process.stderr.write(
        redactText(
          `callscribe: ${e.details ?? e.message ?? String(err)}${e.code !== undefined ? ` (gRPC status ${e.code})` : ''}\n`,
        ),
      );
    }
    process.exit(1);
  },
);
