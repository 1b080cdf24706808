import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes beside the target and renames it into place, so a failed or interrupted run leaves no half file. */
export async function writeFileAtomic(path: string, body: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, body);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
