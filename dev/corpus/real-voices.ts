import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './espeak.js';
import { seededRandom } from '../../loadgen/src/run/schedule.js';

const RATE = 16000;
const FRAME = 160; // 10 ms

/**
 * One utterance each of 251 LibriSpeech readers (CC BY 4.0; Panayotov et al., ICASSP 2015), kept
 * outside the project: `../shared/data/librispeech-voices` beside the checkout, or
 * CALLSCRIBE_VOICES_DIR. Nothing here is needed to build or test the project.
 */
export function voicesDir(): string {
  const given = process.env['CALLSCRIBE_VOICES_DIR'];
  if (given !== undefined && given !== '') return given;
  return fileURLToPath(new URL('../../../../shared/data/librispeech-voices', import.meta.url));
}

export type ReaderSplit = 'train' | 'dev' | 'test';

export interface Reader {
  id: string;
  sex: 'F' | 'M';
  file: string;
  split: ReaderSplit;
}

/**
 * Every reader, split by reader (never by utterance): 60% train (speaker statistics), 20% dev (tuning),
 * 20% test (held out), each split half female and half male as far as the counts allow. The order
 * comes from a fixed seed, so the split is the same on every machine.
 */
export async function readers(dir = voicesDir()): Promise<Reader[] | null> {
  try {
    await access(join(dir, 'speakers.txt'));
  } catch {
    return null;
  }
  const sexes = new Map<string, 'F' | 'M'>();
  for (const line of (await readFile(join(dir, 'speakers.txt'), 'utf8')).split('\n')) {
    const [id, sex] = line.split('|').map((s) => s.trim());
    if (id !== undefined && /^\d+$/.test(id) && (sex === 'F' || sex === 'M')) sexes.set(id, sex);
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith('.flac')).sort();
  const out: Reader[] = [];
  for (const sex of ['F', 'M'] as const) {
    const mine = files.filter((f) => sexes.get(f.split('-')[0] as string) === sex);
    const rand = seededRandom(sex === 'F' ? 2201 : 2202);
    const order = mine.map((f) => ({ f, r: rand() })).sort((a, b) => a.r - b.r);
    order.forEach(({ f }, i) => {
      const at = i / order.length;
      const split: ReaderSplit = at < 0.6 ? 'train' : at < 0.8 ? 'dev' : 'test';
      out.push({ id: f.split('-')[0] as string, sex, file: f, split });
    });
  }
  return out;
}

/** A reader's utterance as 16 kHz float samples, normalised to a common speech level. */
export async function loadVoice(dir: string, reader: Reader): Promise<Float32Array> {
  const pcm = await run('sox', [
    join(dir, reader.file),
    '-t',
    'f32',
    '-e',
    'floating-point',
    '-r',
    String(RATE),
    '-c',
    '1',
    '-',
  ]);
  const x = new Float32Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
  let power = 0;
  for (const v of x) power += v * v;
  const g = 0.08 / Math.sqrt(power / Math.max(1, x.length) + 1e-12);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * g;
  return x;
}

/**
 * The utterance cut at its pauses (10 ms frames in the lowest 35% of the utterance's range of level,
 * for at least 0.12 s): [start, end) sample ranges of speech, pieces under 0.5 s joined to the next.
 */
export function phrases(x: Float32Array): Array<[number, number]> {
  const n = Math.floor(x.length / FRAME);
  const db = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    let p = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) p += (x[i] as number) ** 2;
    db[f] = 10 * Math.log10(p / FRAME + 1e-12);
  }
  const sorted = [...db].sort((a, b) => a - b);
  const loud = sorted[Math.floor(0.95 * (n - 1))] ?? 0;
  const floor = sorted[Math.floor(0.05 * (n - 1))] ?? 0;
  // Read speech has its room's noise under the pauses: a pause is nearer that floor than the speech.
  const silent = (f: number) => (db[f] as number) < floor + 0.35 * (loud - floor);
  const out: Array<[number, number]> = [];
  let f = 0;
  while (f < n) {
    while (f < n && silent(f)) f++;
    const start = f;
    let end = f;
    while (f < n) {
      if (!silent(f)) {
        end = ++f;
        continue;
      }
      let g = f;
      while (g < n && silent(g)) g++;
      if (g - f >= 12 || g === n) break;
      f = g;
    }
    f = Math.max(f, end);
    if (end > start) out.push([start * FRAME, end * FRAME]);
  }
  const joined: Array<[number, number]> = [];
  for (const p of out) {
    const last = joined[joined.length - 1];
    if (last !== undefined && last[1] - last[0] < 0.5 * RATE) last[1] = p[1];
    else joined.push([p[0], p[1]]);
  }
  return joined;
}
