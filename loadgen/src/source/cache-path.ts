import { createHash } from 'node:crypto';
import { resolve, sep } from 'node:path';

/**
 * The cache path of an object key, always inside `cacheDir`: "..", ".", empty segments and a leading
 * "/" are dropped, odd characters become "_", and a key that had to change gets a short hash of the
 * original so two hostile keys cannot land on one file.
 */
export function cachePathFor(cacheDir: string, bucket: string, key: string): string {
  const segments = key
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map((s) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_'));
  let rel = segments.join('/');
  if (rel === '' || rel !== key) {
    const hash = createHash('sha1').update(key).digest('hex').slice(0, 8);
    const dot = rel.lastIndexOf('.');
    const hasExtension = dot > rel.lastIndexOf('/') + 1;
    rel = hasExtension ? `${rel.slice(0, dot)}-${hash}${rel.slice(dot)}` : `${rel || 'object'}-${hash}`;
  }
  const root = resolve(cacheDir, bucket.replace(/[^A-Za-z0-9._-]/g, '_'));
  const path = resolve(root, rel);
  if (!path.startsWith(root + sep)) throw new Error(`object key ${JSON.stringify(key)} escapes the cache`);
  return path;
}
