import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { speak, writeAudio } from '#dev/corpus/espeak.js';

/** Generated at test time with espeak-ng and sox, once per test process. */
const dir = mkdtempSync(join(tmpdir(), 'callscribe-test-'));
const cache = new Map<string, Promise<Buffer>>();

export const SENTENCES = {
  support: 'Thank you for calling customer support. My name is Alice. How can I help you today?',
  balance: 'I would like to check the balance of my account please.',
  refund: 'I can see the second payment and I will send a refund today.',
};

export function fixtureDir(): string {
  return dir;
}

/** Speech written as a file in the given sox format; cached by name. */
export function speechFile(name: string, text: string, voice: string, format: string[], channels = 1): Promise<Buffer> {
  let p = cache.get(name);
  if (p === undefined) {
    p = (async () => {
      const samples = await speak(text, voice);
      const path = join(dir, name);
      await writeAudio(
        path,
        Array.from({ length: channels }, () => samples),
        format,
      );
      return readFile(path);
    })();
    cache.set(name, p);
  }
  return p;
}

export const WAV_16K = ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'];
export const WAV_8K_MULAW_STEREO = ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '2'];

/** A WAV of silence (with a little noise floor, as a real line has). */
export async function silenceWav(seconds: number): Promise<Buffer> {
  const samples = new Float32Array(16000 * seconds);
  let seed = 1;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    samples[i] = ((seed / 0x7fffffff) * 2 - 1) * 0.0005;
  }
  const path = join(dir, `silence-${seconds}.wav`);
  await writeAudio(path, [samples], WAV_16K);
  return readFile(path);
}

/** Several sentences back to back with pauses, long enough to make several chunks with a short AUDIO_CHUNK_SEC. */
export async function longCallWav(name: string, repeats: number): Promise<Buffer> {
  const parts: Float32Array[] = [];
  const voices = ['en-us+f2', 'en-us+f3'];
  const texts = Object.values(SENTENCES);
  for (let i = 0; i < repeats; i++)
    parts.push(await speak(texts[i % texts.length] as string, voices[i % voices.length]));
  const pause = new Float32Array(8000);
  const total = parts.reduce((n, p) => n + p.length + pause.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + pause.length;
  }
  const path = join(dir, name);
  await writeAudio(path, [out], WAV_16K);
  return readFile(path);
}
