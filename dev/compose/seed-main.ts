#!/usr/bin/env node
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../loadgen/src/source/s3-client.js';
import { writeCorpus } from '../corpus/write-corpus.js';

/**
 * The compose stack's one-shot seed: writes the sample corpus (espeak-ng dialogues with reference
 * .txt and .rttm, as `npm run demo` does), creates the bucket and uploads it, so the loadgen service
 * has something real to pull. `seed-main ENDPOINT BUCKET PREFIX CORPUS_DIR`; credentials come from
 * the standard AWS chain (the compose file sets them).
 */
const [endpoint, bucket, prefix, corpusDir] = process.argv.slice(2);
if (endpoint === undefined || bucket === undefined || prefix === undefined || corpusDir === undefined) {
  process.stderr.write('usage: seed-main ENDPOINT BUCKET PREFIX CORPUS_DIR\n');
  process.exit(2);
}

const s3 = createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 3 });
try {
  await writeCorpus(corpusDir);
  const names = (await readdir(corpusDir)).filter((f) => /\.(wav|txt|rttm)$/.test(f)).sort();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err: unknown) {
    // A second `up` finds the bucket from the first: that is the state we want, not a failure.
    const name = err instanceof Error ? err.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  for (const name of names)
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: await readFile(join(corpusDir, name)) }),
    );
  const recordings = names.filter((n) => n.endsWith('.wav')).length;
  process.stdout.write(
    `seed: ${recordings} recordings and their references in s3://${bucket}/${prefix} at ${endpoint}\n`,
  );
} catch (err: unknown) {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  s3.destroy();
}
