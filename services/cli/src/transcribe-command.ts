import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AudioEncoding, DiarizationMode } from '#gen/callscribe/v1/audio.js';
import type { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { formatFinal } from '#client/format.js';
import { streamAudio, type StreamAudioResult } from '#client/stream-audio.js';
import { OptionError } from '#common/options.js';
import { writeFileAtomic } from './atomic-write.js';
import type { CliOptions } from './cli-options.js';
import { describeError } from './error-message.js';
import { expandInputs } from './input-files.js';
import { formatOutput, OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';
import { Progress } from './progress.js';
import { segmentText } from './text-output.js';

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

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The formats to write, or undefined to print; rttm only where there are speakers to write. */
function formatsToWrite(o: CliOptions, diarizing: boolean): OutputFormat[] | undefined {
  if (o.outputFormat.length === 0 && o.outputDir === '') return undefined;
  const asked = o.outputFormat.length === 0 ? ['all' as const] : o.outputFormat;
  if (asked.includes('rttm') && !diarizing)
    throw new OptionError(
      '--output-format rttm needs speakers: add --diarize (or --diarization channels|cluster|auto)',
    );
  return asked.includes('all') ? OUTPUT_FORMATS.filter((f) => f !== 'rttm' || diarizing) : (asked as OutputFormat[]);
}

const withoutWords = (r: StreamAudioResult): StreamAudioResult => ({
  ...r,
  segments: r.segments.map((s) => ({ ...s, words: [] })),
});

/**
 * `callscribe transcribe FILE...`: each file in turn through the gateway; printed (one file, as
 * before) or written as <name>.<ext> per format. A failed file is reported and skipped; the exit
 * code says whether any failed.
 */
export async function transcribeCommand(
  client: GatewayClient,
  inputs: readonly string[],
  o: CliOptions,
  out: Output,
): Promise<number> {
  const diarization = o.diarize && o.diarization === 'none' ? 'auto' : o.diarization;
  const diarizing = diarization !== 'none';
  const formats = formatsToWrite(o, diarizing);
  const entries = await expandInputs(inputs);
  if (o.rttm !== '' && entries.length > 1)
    throw new OptionError('--rttm takes one FILE; for several, use --output-format rttm -o DIR');
  const single = formats === undefined && entries.length === 1;
  if (single && typeof entries[0] === 'object') throw new OptionError(entries[0].error);
  // Turns are rebuilt from the words, which the gateway asks for anyway when it diarizes.
  const turns = diarizing && (o.rttm !== '' || formats?.includes('rttm') === true);
  const dir = o.outputDir === '' ? '.' : o.outputDir;
  if (formats !== undefined) await mkdir(dir, { recursive: true });

  const progress = new Progress(entries.length, (line) => out.stderr(`${line}\n`));
  const names = new Map<string, string>();
  for (const file of entries) {
    if (typeof file === 'object') {
      progress.failedOn(file.input, file.error);
      continue;
    }
    const name = basename(file).replace(/\.[^.]+$/, '');
    const clash = names.get(name);
    if (formats !== undefined && clash !== undefined) {
      progress.failedOn(file, `its output name "${name}" is taken by ${clash}: rename one, or write them in two runs`);
      continue;
    }
    names.set(name, file);
    const started = performance.now();
    try {
      const audio = await readFile(file);
      if (!single && formats === undefined && !o.json) out.stdout(`==> ${file} <==\n`);
      const full = await streamAudio((opts) => client.streamTranscribe(opts), audio, {
        chunkBytes: o.chunkBytes,
        deadlineMs: o.deadlineMs,
        config: {
          format: { encoding: ENCODINGS[o.encoding], sampleRateHz: o.sampleRate, channels: o.channels },
          language: o.language,
          wordTimestamps: o.words || turns,
          diarization: DIARIZATION[diarization],
          minSpeakers: o.minSpeakers,
          maxSpeakers: o.maxSpeakers,
          channelLabels: o.channelLabels,
          requestTag: o.requestTag,
          prompt: o.prompt,
          ...(o.temperature > 0 ? { temperature: o.temperature } : {}),
        },
        onSegment: (s) => {
          if (formats === undefined && !o.json) out.stdout(`${segmentText(s, o.words)}\n`);
        },
      });
      const result = o.words ? full : withoutWords(full);
      if (o.rttm !== '') await writeFileAtomic(o.rttm, formatOutput('rttm', full, name));
      const wrote: string[] = [];
      for (const format of formats ?? []) {
        const path = join(dir, `${name}.${format}`);
        await writeFileAtomic(path, formatOutput(format, format === 'rttm' ? full : result, name));
        wrote.push(path);
      }
      if (formats === undefined) printResult(result, o.json, single, file, out);
      const elapsedSec = (performance.now() - started) / 1000;
      if (!single) progress.succeeded(file, result.final.audioDurationSec, elapsedSec, wrote);
    } catch (err: unknown) {
      const message = describeError(err, o.target);
      // One file as before: its error is the command's error.
      if (single) throw new Error(message);
      progress.failedOn(file, message);
    }
  }
  if (!single) out.stderr(`${progress.summary()}\n`);
  return progress.failures > 0 ? 1 : 0;
}

function printResult(result: StreamAudioResult, json: boolean, single: boolean, file: string, out: Output): void {
  if (json && single) out.stdout(JSON.stringify(result, null, 2) + '\n');
  // Several files: one JSON object per line, named, so the output stays line-parseable.
  else if (json) out.stdout(`${JSON.stringify({ file, ...result })}\n`);
  else out.stdout((result.segments.length === 0 ? '(no speech found)\n' : '') + formatFinal(result.final) + '\n');
}
