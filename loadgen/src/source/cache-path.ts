import { createHash } from 'node:crypto';
import { resolve, sep } from 'node:path';

// NAME_MAX is 255 bytes on common file systems; a segment also gets ".part-<pid>-<hex>" or
// ".meta.json" appended, so longer ones are shortened and made unique with a hash.
const MAX_SEGMENT_CHARS = 120;

const hashOf = (text: string, chars: number) => createHash('sha256').update(text).digest('hex').slice(0, chars);

/** One path segment with only safe characters, never "." or "..", and short enough to create. */
function safeSegment(segment: string): string {
  const clean = segment.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  if (clean.length <= MAX_SEGMENT_CHARS) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
  return `${clean.slice(0, 60)}-${hashOf(segment, 16)}${extension}`;
}

/**
 * The cache path of an object key, always inside `cacheDir`: "..", ".", empty segments and a leading
 * "/" are dropped, odd characters become "_", over-long segments are shortened with a hash, and a
 * key that had to change gets a short hash of the original so two hostile keys cannot land on one
 * file. The bucket name is made safe the same way (a bucket called ".." stays inside).
 */
export function cachePathFor(cacheDir: string, bucket: string, key: string): string {
  const segments = key
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map(safeSegment);
  let rel = segments.join('/');
  if (rel === '' || rel !== key) {
    const hash = hashOf(key, 8);
    const dot = rel.lastIndexOf('.');
    const hasExtension = dot > rel.lastIndexOf('/') + 1;
    rel = hasExtension ? `${rel.slice(0, dot)}-${hash}${rel.slice(dot)}` : `${rel || 'object'}-${hash}`;
  }
  const base = resolve(cacheDir);
  const root = resolve(base, safeSegment(bucket) || '_');
  const path = resolve(root, rel);
  if (!root.startsWith(base + sep) || !path.startsWith(root + sep))
    throw new Error(`object ${JSON.stringify(bucket)}/${JSON.stringify(key)} escapes the cache`);
  return path;
}
