import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * $XDG_CACHE_HOME/callscribe (else ~/.cache/callscribe): the user's own cache, not a predictable
 * name in a /tmp every user can write to, where someone else could create it first or plant links.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'callscribe');
}

export class CacheRootError extends Error {
  override name = 'CacheRootError';
}

/**
 * Creates the cache folder (mode 0700) or checks the one there: it must be a folder owned by this
 * user (a link to one is fine when the link is ours too). Returns its real path.
 */
export async function prepareCacheRoot(dir: string): Promise<string> {
  const wanted = resolve(dir);
  await mkdir(wanted, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const link = await lstat(wanted);
  if (uid !== undefined && link.uid !== uid)
    throw new CacheRootError(
      `--cache-dir ${wanted} belongs to uid ${link.uid}, not to this user (uid ${uid}): another user could plant files there; choose a folder of your own`,
    );
  const root = await realpath(wanted);
  const st = await stat(root);
  if (!st.isDirectory()) throw new CacheRootError(`--cache-dir ${wanted} is not a folder`);
  if (uid !== undefined && st.uid !== uid)
    throw new CacheRootError(
      `--cache-dir ${wanted} leads to ${root}, owned by uid ${st.uid}, not this user (uid ${uid}); choose a folder of your own`,
    );
  if ((st.mode & 0o077) !== 0) await chmod(root, 0o700);
  return root;
}

/** Creates each folder from root down to dir, refusing any link or file found on the way. */
export async function ensureCacheFolder(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new CacheRootError(`${dir} is outside the cache ${root}`);
  let current = root;
  for (const part of rel.split(sep).filter((p) => p !== '')) {
    current = join(current, part);
    await mkdir(current, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    if (!(await lstat(current)).isDirectory())
      throw new CacheRootError(`${current} in the cache is a link or a file, not a folder: refusing to follow it`);
  }
}

/** A fresh temporary name beside `path`, opened with O_EXCL|O_NOFOLLOW: never an existing file or link. */
export async function createTempBeside(path: string) {
  const tmp = `${path}.part-${process.pid}-${randomBytes(6).toString('hex')}`;
  const handle = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  return { tmp, handle };
}

/** Writes `data` to `path` through a temporary file and a rename: a link at `path` is replaced, not followed. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const { tmp, handle } = await createTempBeside(path);
  try {
    await handle.writeFile(data);
    await handle.close();
    await rename(tmp, path);
  } catch (err: unknown) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** Reads a cache file only when it is a regular file (a planted link is treated as absent). */
export async function readCacheFile(path: string): Promise<Buffer | undefined> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return (await handle.stat()).isFile() ? await handle.readFile() : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
