#!/usr/bin/env node
import { createRequire } from 'node:module';
import S3rver from '@20minutes/s3rver';

/**
 * s3rver as a process of its own: `node --openssl-legacy-provider s3-server-main.js DIR BUCKET...`.
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through
 * its legacy provider; the flag stays contained to this test/demo server.
 */
const [directory, ...buckets] = process.argv.slice(2);
if (directory === undefined) {
  process.stderr.write('usage: s3-server-main DIR BUCKET...\n');
  process.exit(2);
}
// s3rver knows one key pair (S3RVER/S3RVER); tests that handle real-looking secrets add theirs as
// S3RVER_EXTRA_KEYS="id:secret,id:secret".
const account = createRequire(import.meta.url)('@20minutes/s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
};
for (const pair of (process.env['S3RVER_EXTRA_KEYS'] ?? '').split(',').filter((p) => p.includes(':'))) {
  const at = pair.indexOf(':');
  account.DUMMY_ACCOUNT.createKeyPair(pair.slice(0, at), pair.slice(at + 1));
}
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`listening on 127.0.0.1:${port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
