import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { speak, writeAudio } from '#dev/corpus/espeak.js';

const MONO_16K = ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'];
const STEREO_8K_MULAW = ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '2'];

/**
 * A BENCH_SMOKE=1 stand-in for the sample calls: two short sentences in two voices, as a mono 16 kHz WAV
 * or as a stereo 8 kHz mu-law one (agent left, customer right), so the smoke run takes the same
 * paths as the corpus (one mixed channel, or one speaker per channel) in a fraction of the time.
 */
export async function smokeCall(kind: 'mono' | 'stereo'): Promise<{ path: string; bytes: Buffer }> {
  const agent = await speak('Thank you for calling.', 'en-us+f2');
  const customer = await speak('Check my balance.', 'en-us+m3');
  const path = join(mkdtempSync(join(tmpdir(), 'callscribe-bench-smoke-')), `smoke-${kind}.wav`);
  if (kind === 'stereo') {
    const left = new Float32Array(agent.length + customer.length);
    const right = new Float32Array(agent.length + customer.length);
    left.set(agent);
    right.set(customer, agent.length);
    await writeAudio(path, [left, right], STEREO_8K_MULAW);
  } else {
    const mono = new Float32Array(agent.length + customer.length);
    mono.set(agent);
    mono.set(customer, agent.length);
    await writeAudio(path, [mono], MONO_16K);
  }
  return { path, bytes: await readFile(path) };
}
