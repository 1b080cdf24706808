import { S3Client } from '@aws-sdk/client-s3';
import { registerSecret } from '#common/redact.js';

export interface S3Settings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  maxAttempts: number;
}

/**
 * An S3 client on the standard credential chain (env, shared config, SSO, instance role), with the
 * SDK's own retries (exponential backoff with jitter, throttling-aware) for transient failures.
 */
export function createS3Client(s: S3Settings): S3Client {
  const { endpoint, credentials } = splitEndpoint(s.endpoint);
  const client = new S3Client({
    region: s.region,
    ...(endpoint !== '' ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    forcePathStyle: s.forcePathStyle,
    maxAttempts: s.maxAttempts,
  });
  if (s.forcePathStyle) {
    // Bucket-level requests (ListObjectsV2) go out as "/bucket" rather than "/bucket/". Both mean the
    // same to S3 and MinIO, but some S3-compatible servers (s3rver among them) canonicalise the
    // path without the slash and then reject the SDK's signature.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: unknown };
        if (typeof request.path === 'string' && /^\/[^/]+\/$/.test(request.path))
          request.path = request.path.slice(0, -1);
        return next(args);
      },
      { step: 'build', name: 'bucketPathWithoutTrailingSlash' },
    );
  }
  return client;
}

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (m === null) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: m[1] as string, prefix: m[2] ?? '' };
}

/**
 * `http://user:password@host:9000` (MinIO style) gives the key pair; the SDK gets the URL without
 * them, so they appear in no request line, error or result file.
 */
export function splitEndpoint(raw: string): {
  endpoint: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (raw === '') return { endpoint: '' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('--s3-endpoint must be a URL such as http://minio:9000');
  }
  if (url.username === '' && url.password === '') return { endpoint: raw };
  const accessKeyId = decodeURIComponent(url.username);
  const secretAccessKey = decodeURIComponent(url.password);
  registerSecret(accessKeyId);
  registerSecret(secretAccessKey);
  url.username = '';
  url.password = '';
  return { endpoint: url.toString().replace(/\/$/, ''), credentials: { accessKeyId, secretAccessKey } };
}
