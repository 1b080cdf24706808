import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SpeakerTurn, toRttm } from './build-call.js';
import { run, writeAudio } from './espeak.js';

export type Channel = 'wide' | 'phone' | 'room';

/** What each channel does to the clean 16 kHz mix, and the file it becomes. */
export const CHANNEL_OUT: Record<Channel, { effects: string[]; format: string[] }> = {
  wide: { effects: [], format: ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'] },
  phone: { effects: ['sinc', '300-3400'], format: ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '1'] },
  room: {
    effects: ['reverb', '40', '50', '60'],
    format: ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
  },
};

/** `<dir>/<id>.wav` through the channel, and `<id>.rttm` from the turns. */
export async function writeRecording(
  dir: string,
  id: string,
  mix: Float32Array,
  channel: Channel,
  turns: SpeakerTurn[],
): Promise<void> {
  const out = CHANNEL_OUT[channel];
  const clean = join(dir, `.${id}.clean.tmp`);
  const tmp = join(dir, `.${id}.wav.tmp`);
  await writeAudio(clean, [mix], CHANNEL_OUT.wide.format);
  // Written under a temporary name and renamed, so an interrupted run leaves no half file.
  await run('sox', ['-D', '-t', 'wav', clean, ...out.format, tmp, ...out.effects]);
  await rm(clean);
  await rename(tmp, join(dir, `${id}.wav`));
  await writeFile(join(dir, `${id}.rttm`), toRttm(id, turns));
}
