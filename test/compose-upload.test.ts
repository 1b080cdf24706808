import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '#dev/demo/s3-server.js';
import { createS3Client } from '../loadgen/src/source/s3-client.js';
import { listObjects, syncS3 } from '../loadgen/src/source/s3-source.js';

const UPLOAD = fileURLToPath(new URL('../dev/compose/upload-main.js', import.meta.url));
const BUCKET = 'call-recordings';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The GPU stack's `upload` service as compose runs it: the real CLI, credentials from the env. */
async function upload(endpoint: string, dir: string, prefix = 'p/'): Promise<Run> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [UPLOAD, endpoint, BUCKET, prefix, dir], {
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('compose upload service against a real S3-protocol server (s3rver)', () => {
  let s3: LocalS3;
  let client: ReturnType<typeof createS3Client>;
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-upload-test-'));
  before(async () => {
    s3 = await startLocalS3([]); // no bucket: the upload must create it
    client = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 2 });
    mkdirSync(join(dir, 'recordings', 'day-2'), { recursive: true });
    writeFileSync(join(dir, 'recordings', 'a.wav'), 'RIFF first call');
    writeFileSync(join(dir, 'recordings', 'a.txt'), 'hello world');
    writeFileSync(join(dir, 'recordings', 'day-2', 'b.MP3'), 'ID3 second call');
    writeFileSync(join(dir, 'recordings', 'day-2', 'b.rttm'), 'SPEAKER b 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n');
    writeFileSync(join(dir, 'recordings', 'notes.pdf'), 'not audio');
    writeFileSync(join(dir, 'recordings', 'orphan.txt'), 'a reference with no recording');
    mkdirSync(join(dir, 'empty'));
  });
  after(async () => {
    client.destroy();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the bucket and puts the recordings and their references, keyed by path', async () => {
    const r = await upload(s3.endpoint, join(dir, 'recordings'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upload: 2 recordings in s3:\/\/call-recordings\/p\/ .*\(4 files sent, 0 already there\)/);
    const keys = (await listObjects(client, BUCKET, 'p/', 100)).map((o) => o.key).sort();
    assert.deepEqual(keys, ['p/a.txt', 'p/a.wav', 'p/day-2/b.MP3', 'p/day-2/b.rttm']);
    const body = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'p/day-2/b.MP3' }));
    assert.equal(await body.Body?.transformToString(), 'ID3 second call');
  });

  it('is what the loadgen then reads: recordings with their references', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'callscribe-upload-cache-'));
    try {
      const { recordings } = await syncS3(client, {
        bucket: BUCKET,
        prefix: 'p/',
        extensions: ['wav', 'mp3'],
        cacheDir,
        downloadConcurrency: 2,
        pageSize: 100,
      });
      assert.equal(recordings.length, 2);
      assert.equal(recordings.find((x) => x.name === 'p/a.wav')?.reference, 'hello world');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('a rerun sends only the files whose bytes changed', async () => {
    const same = await upload(s3.endpoint, join(dir, 'recordings'));
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /\(0 files sent, 4 already there\)/);
    writeFileSync(join(dir, 'recordings', 'a.wav'), 'RIFF first call, re-recorded');
    const changed = await upload(s3.endpoint, join(dir, 'recordings'));
    assert.match(changed.stdout, /\(1 files sent, 3 already there\)/);
  });

  it('an empty or missing folder is an error that says what it looked for, and uploads nothing', async () => {
    const empty = await upload(s3.endpoint, join(dir, 'empty'), 'q/');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /upload failed: no recordings under .*empty \(looked for \.wav, \.mp3/);
    const missing = await upload(s3.endpoint, join(dir, 'nowhere'), 'q/');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /upload failed: .*nowhere: no such folder/);
    assert.deepEqual(await listObjects(client, BUCKET, 'q/', 100), []);
  });
});
