#!/usr/bin/env node
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
