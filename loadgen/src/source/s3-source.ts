import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { cachePathFor } from './cache-path.js';
import { createProgress, mapLimit } from './progress.js';
import { stem, type Recording } from './recording.js';

export interface S3SourceOptions {
  bucket: string;
  prefix: string;
  extensions: string[];
  cacheDir: string;
  downloadConcurrency: number;
  pageSize: number;
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
  try {
    return JSON.parse(await readFile(`${path}.meta.json`, 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}

/**
 * Makes the object available in the cache: reused when the recorded ETag and size still match
 * (never downloaded twice), fetched again when the object changed. Written to a temporary file and
 * renamed, so an interrupted download never leaves a partial file where a complete one is expected.
 */
export async function cacheObject(
  s3: S3Client,
  bucket: string,
  object: ObjectInfo,
  cacheDir: string,
): Promise<CacheOutcome> {
  let path: string;
  try {
    path = cachePathFor(cacheDir, bucket, object.key);
  } catch (err: unknown) {
    return { key: object.key, state: 'failed', error: (err as Error).message };
  }
  const meta = await readMeta(path);
  if (meta !== undefined && meta.etag === object.etag && meta.size === object.size) {
    const st = await stat(path).catch(() => undefined);
    if (st?.size === object.size) return { key: object.key, path, state: 'hit' };
  }
  const tmp = `${path}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: object.key, IfMatch: object.etag || undefined }),
    );
    await pipeline(response.Body as Readable, createWriteStream(tmp));
    const size = (await stat(tmp)).size;
    if (size !== object.size) throw new Error(`downloaded ${size} bytes, the listing said ${object.size}`);
    await rename(tmp, path);
    const record: CacheMeta = {
      key: object.key,
      etag: response.ETag ?? object.etag,
      size,
      downloadedAt: new Date().toISOString(),
    };
    await writeFile(`${path}.meta.json`, JSON.stringify(record) + '\n');
    return { key: object.key, path, state: 'downloaded' };
  } catch (err: unknown) {
    await rm(tmp, { force: true });
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const code = e.$metadata?.httpStatusCode;
    return {
      key: object.key,
      state: 'failed',
      error: `${e.name ?? 'Error'}${code !== undefined ? ` (HTTP ${code})` : ''}: ${e.message ?? String(err)}`,
    };
  }
}

export interface S3SyncResult {
  recordings: Recording[];
  outcomes: CacheOutcome[];
}

/** Lists the prefix, caches audio and its .txt/.rttm companions, and returns what can be played. */
export async function syncS3(s3: S3Client, o: S3SourceOptions): Promise<S3SyncResult> {
  const objects = await listObjects(s3, o.bucket, o.prefix, o.pageSize);
  const extension = (k: string) => k.slice(k.lastIndexOf('.') + 1).toLowerCase();
  const audio = objects.filter((x) => o.extensions.includes(extension(x.key)));
  const companions = objects.filter((x) => ['txt', 'rttm'].includes(extension(x.key)));
  const wanted = [...audio, ...companions.filter((c) => audio.some((a) => stem(a.key) === stem(c.key)))];
  const progress = createProgress('cache', wanted.length);
  let downloadedBytes = 0;
  const outcomes = await mapLimit(wanted, o.downloadConcurrency, async (object) => {
    const r = await cacheObject(s3, o.bucket, object, o.cacheDir);
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
    return p === undefined ? undefined : readFile(p, 'utf8');
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
