import { lstat, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { cachePathFor } from './cache-path.js';
import { createTempBeside, ensureCacheFolder, prepareCacheRoot, readCacheFile, writeFileAtomic } from './cache-root.js';
import { createProgress, mapLimit } from './progress.js';
import { stem, type Recording } from './recording.js';

export interface S3SourceOptions {
  bucket: string;
  prefix: string;
  extensions: string[];
  cacheDir: string;
  downloadConcurrency: number;
  pageSize: number;
  retry?: DownloadRetry;
}

export interface ObjectInfo {
  key: string;
  etag: string;
  size: number;
}

export interface CacheOutcome {
  key: string;
  path?: string;
  /** hit: the cached copy matched the ETag and size; downloaded: fetched now; failed: see error. */
  state: 'hit' | 'downloaded' | 'failed';
  error?: string;
}

interface CacheMeta {
  key: string;
  etag: string;
  size: number;
  downloadedAt: string;
}

/** Every object under the prefix, page by page. */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  pageSize: number,
): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? ([] as _Object[])) {
      if (o.Key !== undefined && !o.Key.endsWith('/')) out.push({ key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0 });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

async function readMeta(path: string): Promise<CacheMeta | undefined> {
  const text = await readCacheFile(`${path}.meta.json`);
  try {
    return text === undefined ? undefined : (JSON.parse(text.toString('utf8')) as CacheMeta);
  } catch {
    return undefined;
  }
}

export interface DownloadRetry {
  /** Tries per object, the first included. */
  attempts: number;
  /** Wait before the second try; doubled each time, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_DOWNLOAD_RETRY: DownloadRetry = { attempts: 4, baseDelayMs: 250 };

// Answers that another try cannot change, and local failures that would only repeat.
const FINAL_ERRORS = new Set(['NoSuchKey', 'NoSuchBucket', 'PreconditionFailed', 'AccessDenied', 'CacheRootError']);
const LOCAL_ERRNO = new Set(['ENAMETOOLONG', 'EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'ELOOP', 'EEXIST', 'ENOTDIR']);

function retryable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const http = e.$metadata?.httpStatusCode;
  if (http !== undefined && http >= 400 && http < 500 && http !== 408 && http !== 429) return false;
  return !FINAL_ERRORS.has(e.name ?? '') && !LOCAL_ERRNO.has(e.code ?? '');
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${code !== undefined ? ` (HTTP ${code})` : ''}: ${e.message ?? String(err)}`;
}

/** One try: the body into a fresh O_EXCL temporary file, checked against the listed size, renamed into place. */
async function download(s3: S3Client, bucket: string, object: ObjectInfo, path: string): Promise<string> {
  const response = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: object.key, IfMatch: object.etag || undefined }),
  );
  const { tmp, handle } = await createTempBeside(path);
  try {
    await pipeline(response.Body as Readable, handle.createWriteStream());
    const size = (await stat(tmp)).size;
    if (size !== object.size) throw new Error(`downloaded ${size} bytes, the listing said ${object.size}`);
    await rename(tmp, path);
    return response.ETag ?? object.etag;
  } catch (err: unknown) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Makes the object available in the cache: reused when the recorded ETag and size still match
 * (never downloaded twice), fetched again when the object changed. Written to a temporary file and
 * renamed, so an interrupted download never leaves a partial file where a complete one is expected,
 * and a link planted at the final name is replaced, never followed. A download cut mid-way is tried
 * again with backoff; after the last try the object fails on its own and never throws.
 */
export async function cacheObject(
  s3: S3Client,
  bucket: string,
  object: ObjectInfo,
  cacheDir: string,
  retry: DownloadRetry = DEFAULT_DOWNLOAD_RETRY,
): Promise<CacheOutcome> {
  let path: string;
  try {
    path = cachePathFor(cacheDir, bucket, object.key);
  } catch (err: unknown) {
    return { key: object.key, state: 'failed', error: (err as Error).message };
  }
  const meta = await readMeta(path);
  if (meta !== undefined && meta.etag === object.etag && meta.size === object.size) {
    const st = await lstat(path).catch(() => undefined);
    if (st?.isFile() === true && st.size === object.size) return { key: object.key, path, state: 'hit' };
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      await ensureCacheFolder(resolve(cacheDir), dirname(path));
      const etag = await download(s3, bucket, object, path);
      const record: CacheMeta = { key: object.key, etag, size: object.size, downloadedAt: new Date().toISOString() };
      await writeFileAtomic(`${path}.meta.json`, JSON.stringify(record) + '\n');
      return { key: object.key, path, state: 'downloaded' };
    } catch (err: unknown) {
      lastError = err;
      if (!retryable(err) || attempt === retry.attempts) break;
      const delay = retry.baseDelayMs * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    }
  }
  return { key: object.key, state: 'failed', error: describe(lastError) };
}

export interface S3SyncResult {
  recordings: Recording[];
  outcomes: CacheOutcome[];
}

/** Lists the prefix, caches audio and its .txt/.rttm companions, and returns what can be played. */
export async function syncS3(s3: S3Client, o: S3SourceOptions): Promise<S3SyncResult> {
  const cacheDir = await prepareCacheRoot(o.cacheDir);
  const objects = await listObjects(s3, o.bucket, o.prefix, o.pageSize);
  const extension = (k: string) => k.slice(k.lastIndexOf('.') + 1).toLowerCase();
  const audio = objects.filter((x) => o.extensions.includes(extension(x.key)));
  const companions = objects.filter((x) => ['txt', 'rttm'].includes(extension(x.key)));
  const wanted = [...audio, ...companions.filter((c) => audio.some((a) => stem(a.key) === stem(c.key)))];
  const progress = createProgress('cache', wanted.length);
  let downloadedBytes = 0;
  const outcomes = await mapLimit(wanted, o.downloadConcurrency, async (object) => {
    const r = await cacheObject(s3, o.bucket, object, cacheDir, o.retry);
    if (r.state === 'downloaded') downloadedBytes += object.size;
    progress.tick(`${(downloadedBytes / 1e6).toFixed(1)} MB downloaded`);
    return r;
  });
  const byKey = new Map(outcomes.map((r) => [r.key, r]));
  const count = (s: CacheOutcome['state']) => outcomes.filter((r) => r.state === s).length;
  progress.done(
    `${count('hit')} cached, ${count('downloaded')} downloaded (${(downloadedBytes / 1e6).toFixed(1)} MB), ${count('failed')} failed`,
  );
  const companion = async (key: string, ext: string) => {
    const p = byKey.get(`${stem(key)}.${ext}`)?.path;
    return p === undefined ? undefined : (await readCacheFile(p))?.toString('utf8');
  };
  const recordings: Recording[] = [];
  for (const a of audio) {
    const r = byKey.get(a.key);
    if (r?.path === undefined) continue;
    const reference = await companion(a.key, 'txt');
    const rttm = await companion(a.key, 'rttm');
    recordings.push({
      name: a.key,
      path: r.path,
      bytes: a.size,
      ...(reference !== undefined ? { reference: reference.trim() } : {}),
      ...(rttm !== undefined ? { rttm } : {}),
    });
  }
  return { recordings, outcomes };
}
