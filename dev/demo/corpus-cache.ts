import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCorpus } from '../corpus/write-corpus.js';

/** The demo corpus, generated once (espeak-ng and sox are deterministic here) and reused. */
export async function ensureCorpus(dir: string, log: (m: string) => void): Promise<string[]> {
  const done = join(dir, '.complete');
  try {
    await access(done);
  } catch {
    log(`generating the sample call corpus in ${dir} (espeak-ng dialogues, stereo 8 kHz mu-law and mono 16 kHz)...`);
    await writeCorpus(dir);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(done, new Date().toISOString() + '\n');
  }
  return (await readdir(dir)).filter((f) => f.endsWith('.wav')).sort();
}
