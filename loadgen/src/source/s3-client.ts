import { S3Client } from '@aws-sdk/client-s3';

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
  const client = new S3Client({
    region: s.region,
    ...(s.endpoint !== '' ? { endpoint: s.endpoint } : {}),
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
