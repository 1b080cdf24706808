import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { stem, type Recording } from './recording.js';

/** Audio files under a folder (recursively), with their .txt / .rttm companions. */
export async function readFolder(dir: string, extensions: string[]): Promise<Recording[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  const audio = files.filter((f) => extensions.includes(f.slice(f.lastIndexOf('.') + 1).toLowerCase())).sort();
  const optional = (p: string) => readFile(p, 'utf8').catch(() => undefined);
  return Promise.all(
    audio.map(async (path) => {
      const reference = await optional(`${stem(path)}.txt`);
      const rttm = await optional(`${stem(path)}.rttm`);
      return {
        name: relative(dir, path),
        path,
        bytes: (await stat(path)).size,
        ...(reference !== undefined ? { reference: reference.trim() } : {}),
        ...(rttm !== undefined ? { rttm } : {}),
      };
    }),
  );
}
