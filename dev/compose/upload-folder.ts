import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AUDIO_EXTENSIONS } from '#client/audio-extensions.js';

export interface UploadSummary {
  recordings: number;
  uploaded: number;
  /** Already in the bucket with the same bytes (ETag = MD5 of a single-part upload): not sent again. */
  unchanged: number;
}

const extension = (name: string): string => name.slice(name.lastIndexOf('.') + 1).toLowerCase();
const stemOf = (path: string): string => path.slice(0, path.length - extension(path).length - 1);

/**
 * The recordings under `dir` (recursively, by the extensions the loadgen reads) and the `.txt` /
 * `.rttm` references beside them, as paths relative to `dir`, sorted.
 */
export async function recordingFiles(dir: string): Promise<{ audio: string[]; files: string[] }> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new Error(`${dir}: no such folder`);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  // Dirent.parentPath arrived in Node 20.12; `path` is its name from 20.1 (package.json allows 20.3).
  const folder = (e: (typeof entries)[number]): string => (e as { parentPath?: string }).parentPath ?? e.path;
  const all = entries.filter((e) => e.isFile()).map((e) => relative(dir, join(folder(e), e.name)));
  const audio = all.filter((f) => AUDIO_EXTENSIONS.includes(extension(f))).sort();
  const stems = new Set(audio.map(stemOf));
  const references = all.filter((f) => ['txt', 'rttm'].includes(extension(f)) && stems.has(stemOf(f)));
  return { audio, files: [...audio, ...references].sort() };
}

async function remoteEtag(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ETag?.replaceAll('"', '');
  } catch (err: unknown) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Creates the bucket when it is missing and puts every recording of `dir` and its references under
 * `prefix`, keyed by the path relative to `dir`. A rerun sends only what changed, so a one-shot
 * service can run on every start.
 */
export async function uploadFolder(s3: S3Client, bucket: string, prefix: string, dir: string): Promise<UploadSummary> {
  const { audio, files } = await recordingFiles(dir);
  if (audio.length === 0)
    throw new Error(`no recordings under ${dir} (looked for .${AUDIO_EXTENSIONS.join(', .')}, in subfolders too)`);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err: unknown) {
    // A second run finds the bucket from the first: that is the state we want, not a failure.
    const name = err instanceof Error ? err.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  let uploaded = 0;
  for (const file of files) {
    const path = join(dir, file);
    const key = `${prefix}${file.split(sep).join('/')}`;
    // Read whole, one file at a time: a streamed body makes the SDK send a chunked, trailer-checksummed
    // upload that s3rver (and older S3-compatible stores) reject; call recordings are megabytes.
    const body = await readFile(path);
    if ((await remoteEtag(s3, bucket, key)) === createHash('md5').update(body).digest('hex')) continue;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    uploaded++;
  }
  return { recordings: audio.length, uploaded, unchanged: files.length - uploaded };
}
