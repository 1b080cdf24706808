#!/usr/bin/env node
import { createRequire } from 'node:module';
import S3rver from '@20minutes/s3rver';

/**
 * s3rver as a process of its own: `node --openssl-legacy-provider s3-server-main.js [--listen
 * host:port] DIR [BUCKET...]` (default 127.0.0.1:0). s3rver encrypts ListObjectsV2 continuation
 * tokens with DES, which OpenSSL 3 only offers through its legacy provider; the flag stays contained
 * to this test/demo server. The CPU compose file runs it as its S3 store on 0.0.0.0:9000; it accepts
 * only s3rver's fixed development key pair (S3RVER / S3RVER), so it is a test store, not a vault.
 */
const args = process.argv.slice(2);
let listen = '127.0.0.1:0';
if (args[0] === '--listen') {
  listen = args[1] ?? '';
  args.splice(0, 2);
}
const match = /^(.+):(\d+)$/.exec(listen);
const [directory, ...buckets] = args;
if (directory === undefined || match === null) {
  process.stderr.write('usage: s3-server-main [--listen host:port] DIR [BUCKET...]\n');
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
const host = match[1] as string;
const server = new S3rver({
  port: Number(match[2]),
  address: host,
  silent: true,
  // Our clients are path-style; with this on, s3rver reads a Host of `s3` (a compose service name) as
  // a bucket called "s3" and every signature stops matching.
  vhostBuckets: false,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`listening on ${host}:${port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
