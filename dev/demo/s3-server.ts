import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startBinary, stopBinary } from '#dev/local-stack.js';
import { createS3Client } from '../../loadgen/src/source/s3-client.js';

export interface LocalS3 {
  endpoint: string;
  /** Uploads files (name → path) into the bucket. */
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  stop(): Promise<void>;
}

/** An S3-protocol server (s3rver, its own process) on an ephemeral loopback port, with its own store folder. */
export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'callscribe-s3-'));
  const server = await startBinary(
    fileURLToPath(new URL('./s3-server-main.js', import.meta.url)),
    [directory, ...buckets],
    30_000,
    ['--openssl-legacy-provider'],
  );
  const endpoint = `http://${server.address}`;
  // s3rver accepts any key pair, but the SDK signs every request, so it needs one.
  process.env['AWS_ACCESS_KEY_ID'] ??= 'S3RVER';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'S3RVER';
  const s3 = createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 2 });
  return {
    endpoint,
    async put(bucket, key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async stop() {
      s3.destroy();
      await stopBinary(server);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export async function seedFiles(
  s3: LocalS3,
  bucket: string,
  prefix: string,
  dir: string,
  names: string[],
): Promise<void> {
  for (const name of names) await s3.put(bucket, `${prefix}${name}`, await readFile(join(dir, name)));
}
