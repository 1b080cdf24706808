import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_VOICES, CUSTOMER_VOICES, DIALOGUES } from './dialogues.js';
import { buildCall, mixDown, toRttm } from './build-call.js';
import { writeAudio } from './espeak.js';

export interface CorpusFile {
  /** Path relative to the corpus folder. */
  name: string;
  channels: number;
  durationSec: number;
}

/**
 * Writes the sample corpus: every dialogue as a stereo 8 kHz mu-law WAV (agent left, customer right,
 * as telephony records it) and as a 16 kHz mono mix, each with a reference .txt and an .rttm.
 */
export async function writeCorpus(dir: string, options: { holdSec?: number } = {}): Promise<CorpusFile[]> {
  await mkdir(dir, { recursive: true });
  const files: CorpusFile[] = [];
  for (const [i, dialogue] of DIALOGUES.entries()) {
    const call = await buildCall(dialogue, {
      agentVoice: AGENT_VOICES[i % AGENT_VOICES.length] as string,
      customerVoice: CUSTOMER_VOICES[i % CUSTOMER_VOICES.length] as string,
      gapSec: 0.6,
      leadSec: 1.0,
      holdSec: options.holdSec ?? 4,
    });
    const id = `call-${String(i + 1).padStart(2, '0')}`;
    const variants: Array<[string, Float32Array[], string[]]> = [
      [`${id}-stereo-8k-mulaw`, [call.agent, call.customer], ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '2']],
      [`${id}-mono-16k`, [mixDown(call)], ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1']],
    ];
    for (const [name, channels, format] of variants) {
      // Written under a temporary name and renamed, so an interrupted run leaves no half file.
      const tmp = join(dir, `.${name}.wav.tmp`);
      await writeAudio(tmp, channels, format);
      await rename(tmp, join(dir, `${name}.wav`));
      await writeFile(join(dir, `${name}.txt`), call.reference + '\n');
      await writeFile(join(dir, `${name}.rttm`), toRttm(name, call.turns));
      files.push({ name: `${name}.wav`, channels: channels.length, durationSec: call.durationSec });
    }
  }
  return files;
}
