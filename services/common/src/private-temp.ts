import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateTempFile {
  /** A file not yet created, in a fresh folder only this user can enter (mkdtemp: 0700, unpredictable name). */
  path: string;
  /** Removes the folder and the file, whatever state they are in. */
  remove(): Promise<void>;
}

/** Where a request's audio goes when it must be held on disk (a spooled upload or container). */
export async function privateTempFile(prefix: string): Promise<PrivateTempFile> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path: join(dir, 'audio'), remove: () => rm(dir, { recursive: true, force: true }) };
}
