#!/usr/bin/env node
import { createS3Client } from '../../loadgen/src/source/s3-client.js';
import { writeCorpus } from '../corpus/write-corpus.js';
import { uploadFolder } from './upload-folder.js';

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
  const { recordings } = await uploadFolder(s3, bucket, prefix, corpusDir);
  process.stdout.write(
    `seed: ${recordings} recordings and their references in s3://${bucket}/${prefix} at ${endpoint}\n`,
  );
} catch (err: unknown) {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  s3.destroy();
}
