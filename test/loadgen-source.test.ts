import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '#dev/demo/s3-server.js';
import { cachePathFor } from '../loadgen/src/source/cache-path.js';
import { createS3Client } from '../loadgen/src/source/s3-client.js';
import { cacheObject, listObjects, syncS3 } from '../loadgen/src/source/s3-source.js';

const BUCKET = 'calls';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

describe('loadgen S3 source against a real S3-protocol server (s3rver)', () => {
  let s3: LocalS3;
  let client: ReturnType<typeof createS3Client>;
  before(async () => {
    s3 = await startLocalS3([BUCKET]);
    client = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 2 });
    for (let i = 0; i < 7; i++) await s3.put(BUCKET, `p/call-${i}.wav`, Buffer.from(`RIFF fake audio ${i}`));
    await s3.put(BUCKET, 'p/call-0.txt', 'hello world');
    await s3.put(BUCKET, 'p/notes.pdf', 'not audio');
  });
  after(async () => {
    client.destroy();
    await s3.stop();
  });

  it('lists every key across pages (ListObjectsV2 with a signature s3rver accepts)', async () => {
    const all = await listObjects(client, BUCKET, 'p/', 3);
    assert.equal(all.length, 9, 'more keys than one page of 3');
    assert.ok(all.every((o) => o.etag !== '' && o.size > 0));
  });

  it('downloads once, then serves the cache; re-downloads when the ETag changes', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'callscribe-cache-test-'));
    const options = {
      bucket: BUCKET,
      prefix: 'p/',
      extensions: ['wav'],
      cacheDir,
      downloadConcurrency: 3,
      pageSize: 2,
    };
    const first = await syncS3(client, options);
    assert.equal(first.recordings.length, 7);
    assert.equal(first.outcomes.filter((o) => o.state === 'downloaded').length, 8, '7 wav + the .txt beside call-0');
    assert.equal(first.recordings.find((r) => r.name === 'p/call-0.wav')?.reference, 'hello world');
    assert.ok(!(await filesUnder(cacheDir)).some((f) => f.includes('.part-')), 'no partial files left');
    const mtime = (await stat(first.recordings[1]?.path as string)).mtimeMs;

    const second = await syncS3(client, options);
    assert.equal(second.outcomes.filter((o) => o.state === 'hit').length, 8, 'nothing downloaded twice');
    assert.equal((await stat(second.recordings[1]?.path as string)).mtimeMs, mtime);

    await s3.put(BUCKET, 'p/call-3.wav', Buffer.from('RIFF a new version of call 3'));
    const third = await syncS3(client, options);
    const changed = third.outcomes.filter((o) => o.state === 'downloaded');
    assert.deepEqual(
      changed.map((o) => o.key),
      ['p/call-3.wav'],
    );
    assert.equal(
      await readFile(third.recordings.find((r) => r.name === 'p/call-3.wav')?.path as string, 'utf8'),
      'RIFF a new version of call 3',
    );
  });

  it('keeps hostile keys inside the cache folder', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'callscribe-cache-hostile-'));
    const hostile = [
      'h/../../../etc/passwd.wav',
      'h/./a/../../b.wav',
      '/h/abs.wav',
      'h/odd name;rm -rf ~.wav',
      'h/..',
      'h/\u0000nul.wav',
    ];
    for (const key of hostile) {
      const path = cachePathFor(cacheDir, BUCKET, key);
      assert.ok(resolve(path).startsWith(resolve(cacheDir) + '/'), `${key} → ${path}`);
    }
    assert.notEqual(
      cachePathFor(cacheDir, BUCKET, 'h/a b.wav'),
      cachePathFor(cacheDir, BUCKET, 'h/a_b.wav'),
      'sanitised keys do not collide',
    );
    // Keys with literal ".." segments are resolved by the HTTP layer before they reach a server, so the
    // end-to-end part uses hostile keys that survive transport; cachePathFor above covers the rest.
    for (const key of ['h/..%2F..%2Fescape.wav', 'h/dots/.../y.wav', 'h/odd name;rm -rf ~.wav', 'h/.hidden.wav'])
      await s3.put(BUCKET, key, Buffer.from(`hostile ${key}`));
    const r = await syncS3(client, {
      bucket: BUCKET,
      prefix: 'h/',
      extensions: ['wav'],
      cacheDir,
      downloadConcurrency: 2,
      pageSize: 100,
    });
    assert.ok(r.recordings.length >= 3);
    for (const rec of r.recordings) assert.ok(resolve(rec.path).startsWith(resolve(cacheDir) + '/'));
    for (const f of await filesUnder(cacheDir)) assert.ok(!f.startsWith('..'));
  });

  it('reports a missing object and goes on with the rest', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'callscribe-cache-missing-'));
    await s3.put(BUCKET, 'm/keep.wav', Buffer.from('RIFF keep'));
    await s3.put(BUCKET, 'm/gone.wav', Buffer.from('RIFF gone'));
    const listed = await listObjects(client, BUCKET, 'm/', 100);
    // Deleted between listing and download, as happens on a live bucket.
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'm/gone.wav' }));
    const outcomes = await Promise.all(listed.map((o) => cacheObject(client, BUCKET, o, cacheDir)));
    const gone = outcomes.find((o) => o.key === 'm/gone.wav');
    assert.equal(gone?.state, 'failed');
    assert.match(gone?.error ?? '', /NoSuchKey|404/);
    assert.equal(outcomes.find((o) => o.key === 'm/keep.wav')?.state, 'downloaded');
    assert.deepEqual(
      (await filesUnder(cacheDir)).filter((f) => f.includes('gone')),
      [],
      'no file for the missing object',
    );
  });
});
