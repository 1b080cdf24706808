import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LINES, VOICE_POOLS } from './conversation-lines.js';
import { run, writeAudio } from './espeak.js';
import { seededRandom } from '../../loadgen/src/run/schedule.js';

/**
 * node dist/dev/corpus/write-espeak-speakers.js DIR: synthetic speakers for dev/train-speaker-stats.py,
 * each about 12 s of conversation lines from one voice of the espeak set's DEV pool at its own pitch
 * and speed (the test pool's voices are never written); speakers.json lists them like readers.json,
 * 48 of the 144 marked train.
 */
const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: node dist/dev/corpus/write-espeak-speakers.js DIR\n');
  process.exit(2);
}
await mkdir(dir, { recursive: true });
const rand = seededRandom(2203);
const pool = [...VOICE_POOLS.dev.female.map((v) => ['F', v]), ...VOICE_POOLS.dev.male.map((v) => ['M', v])];
const speakers = [];
for (let i = 0; i < 144; i++) {
  const [sex, name] = pool[i % pool.length] as [string, string];
  const pitch = 20 + Math.floor(rand() * 60);
  const wpm = 140 + Math.floor(rand() * 60);
  const text = Array.from({ length: 6 }, () => LINES[Math.floor(rand() * LINES.length)]).join(' ');
  const wav = await run('espeak-ng', ['-v', `en-us+${name}`, '-p', String(pitch), '-s', String(wpm), '--stdout', text]);
  const pcm = await run('sox', ['-t', 'wav', '-', '-t', 'f32', '-r', '16000', '-c', '1', '-'], wav);
  const x = new Float32Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
  const file = `espeak-${String(i).padStart(3, '0')}.wav`;
  await writeAudio(
    join(dir, `.${file}.tmp`),
    [x],
    ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
  );
  await rename(join(dir, `.${file}.tmp`), join(dir, file));
  // Every third trains: with all 144 the synthetic voices outweighed the 151 real readers (real-voice
  // dev split: count right 26/40 against 31/40, two-speaker DER 0.097 against 0.052).
  speakers.push({ id: `espeak-${i}`, sex, file, split: i % 3 === 0 ? 'train' : 'spare' });
}
await writeFile(join(dir, 'speakers.json'), JSON.stringify(speakers, null, 1));
process.stdout.write(`${speakers.length} speakers in ${dir}\n`);
