import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '#dev/corpus/espeak.js';

/** The same mono WAV with its one channel copied to both sides. */
export async function twoChannelsSame(monoWav: Buffer): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-same-'));
  await writeFile(join(dir, 'm.wav'), monoWav);
  await run('sox', ['-D', join(dir, 'm.wav'), '-c', '2', join(dir, 's.wav')]);
  return readFile(join(dir, 's.wav'));
}
