#!/usr/bin/env node
import { createS3Client } from '../../loadgen/src/source/s3-client.js';
import { uploadFolder } from './upload-folder.js';

/**
 * The GPU compose stack's one-shot `upload` (profile `upload`): the recordings of a host folder,
 * mounted read-only, into the bucket the loadgen reads, so its preflight finds something to send.
 * `upload-main ENDPOINT BUCKET PREFIX DIR`; credentials from the standard AWS chain (the compose
 * file sets them). Reruns send only files whose bytes changed.
 */
const [endpoint, bucket, prefix, dir] = process.argv.slice(2);
if (endpoint === undefined || bucket === undefined || prefix === undefined || dir === undefined) {
  process.stderr.write('usage: upload-main ENDPOINT BUCKET PREFIX DIR\n');
  process.exit(2);
}

const s3 = createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 3 });
try {
  const r = await uploadFolder(s3, bucket, prefix, dir);
  process.stdout.write(
    `upload: ${r.recordings} recordings in s3://${bucket}/${prefix} at ${endpoint} ` +
      `(${r.uploaded} files sent, ${r.unchanged} already there)\n`,
  );
} catch (err: unknown) {
  process.stderr.write(`upload failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  s3.destroy();
}
