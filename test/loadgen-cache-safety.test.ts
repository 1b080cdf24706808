import assert from 'node:assert/strict';
import { chown, lstat, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalS3, type LocalS3 } from '#dev/demo/s3-server.js';
import { cachePathFor } from '../loadgen/src/source/cache-path.js';
import { defaultCacheDir, prepareCacheRoot } from '../loadgen/src/source/cache-root.js';
import { createS3Client, splitEndpoint } from '../loadgen/src/source/s3-client.js';
import { syncS3, type S3SourceOptions } from '../loadgen/src/source/s3-source.js';

const BUCKET = 'calls';
const FAST_RETRY = { attempts: 3, baseDelayMs: 20 };

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

/**
 * An HTTP proxy in front of s3rver that cuts the connection half-way through the body of chosen
 * objects, as a flaky network does: `cuts` says how many times each key is cut.
 */
async function cuttingProxy(upstream: string, cuts: Map<string, number>): Promise<{ url: string; server: Server }> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const key = [...cuts.keys()].find((k) => req.method === 'GET' && (req.url ?? '').includes(k));
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const left = key === undefined ? 0 : (cuts.get(key) ?? 0);
        if (left <= 0 || key === undefined) {
          upRes.pipe(res);
          return;
        }
        cuts.set(key, left - 1);
        upRes.once('data', (chunk: Buffer) => {
          upRes.destroy();
          res.write(chunk.subarray(0, chunk.length >> 1), () => res.socket?.destroy());
        });
      },
    );
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('loadgen S3 cache safety (real s3rver)', () => {
  let s3: LocalS3;
  let client: ReturnType<typeof createS3Client>;
  const options = async (prefix: string): Promise<S3SourceOptions> => ({
    bucket: BUCKET,
    prefix,
    extensions: ['wav'],
    cacheDir: await mkdtemp(join(tmpdir(), 'callscribe-cache-safety-')),
    downloadConcurrency: 2,
    pageSize: 100,
    retry: FAST_RETRY,
  });
  before(async () => {
    s3 = await startLocalS3([BUCKET]);
    client = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await s3.stop();
  });

  it('replaces a planted link instead of writing through it, and refuses a linked folder', async () => {
    await s3.put(BUCKET, 'ln/call.wav', Buffer.from('RIFF the real object'));
    const o = await options('ln/');
    const outside = await mkdtemp(join(tmpdir(), 'callscribe-victim-'));
    const victim = join(outside, 'precious.txt');
    await writeFile(victim, 'precious');
    const root = await prepareCacheRoot(o.cacheDir);
    const path = cachePathFor(root, BUCKET, 'ln/call.wav');
    await mkdir(dirname(path), { recursive: true });
    await symlink(victim, path);
    await symlink(victim, `${path}.meta.json`);
    const r = await syncS3(client, o);
    assert.equal(r.outcomes[0]?.state, 'downloaded', r.outcomes[0]?.error);
    assert.equal(await readFile(victim, 'utf8'), 'precious', 'the link target is untouched');
    assert.ok((await lstat(path)).isFile(), 'the link itself was replaced by the object');
    assert.equal(await readFile(path, 'utf8'), 'RIFF the real object');

    // A folder of the cache swapped for a link to somewhere else: the object fails, nothing is written there.
    await s3.put(BUCKET, 'ln2/call.wav', Buffer.from('RIFF second'));
    const o2 = { ...o, prefix: 'ln2/', cacheDir: await mkdtemp(join(tmpdir(), 'callscribe-cache-safety-')) };
    const root2 = await prepareCacheRoot(o2.cacheDir);
    await symlink(outside, join(root2, BUCKET));
    const r2 = await syncS3(client, o2);
    assert.equal(r2.outcomes[0]?.state, 'failed');
    assert.match(r2.outcomes[0]?.error ?? '', /not a folder: refusing to follow it/);
    assert.deepEqual(await filesUnder(outside), ['precious.txt']);
  });

  it('caches keys with over-long segments beside normal keys, leaving no .part file', async () => {
    // s3rver keeps objects as files named after the key, so 250 and 226 characters are the most it can
    // store; both are past what a cache file name can take once ".part-<pid>-<hex>" is appended.
    const long = `lg/${'x'.repeat(250)}/${'y'.repeat(226)}.wav`;
    const tooLong = cachePathFor('/c', BUCKET, `lg/${'z'.repeat(300)}.wav`);
    assert.ok(
      tooLong.split('/').every((segment) => segment.length <= 120),
      tooLong,
    );
    await s3.put(BUCKET, long, Buffer.from('RIFF long name'));
    await s3.put(BUCKET, 'lg/short.wav', Buffer.from('RIFF short'));
    const o = await options('lg/');
    const r = await syncS3(client, o);
    assert.deepEqual(
      r.outcomes.map((x) => x.state),
      ['downloaded', 'downloaded'],
      r.outcomes.map((x) => x.error).join('; '),
    );
    const rec = r.recordings.find((x) => x.name === long);
    assert.equal(await readFile(rec?.path as string, 'utf8'), 'RIFF long name');
    assert.ok(!(await filesUnder(o.cacheDir)).some((f) => f.includes('.part-')));
    const again = await syncS3(client, o);
    assert.ok(
      again.outcomes.every((x) => x.state === 'hit'),
      'found again by the same hashed name',
    );
  });

  it('keeps odd bucket names inside the cache root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'callscribe-cache-bucket-'));
    for (const bucket of ['..', '.', '', '/', '../..', 'a/../..'])
      for (const key of ['a.wav', '../b.wav', '/c.wav', '..']) {
        const path = cachePathFor(root, bucket, key);
        assert.ok(resolve(path).startsWith(`${resolve(root)}/`), `${bucket} ${key} → ${path}`);
        assert.ok(!relative(root, path).startsWith('..'));
      }
  });

  it('retries a download cut mid-way, then fails only that object when it keeps being cut', async () => {
    const body = (n: string) => Buffer.from(`RIFF ${n} `.repeat(400));
    for (const n of ['once', 'always', 'fine']) await s3.put(BUCKET, `cut/${n}.wav`, body(n));
    const cuts = new Map([
      ['cut/once.wav', 1],
      ['cut/always.wav', 99],
    ]);
    const proxy = await cuttingProxy(s3.endpoint, cuts);
    const flaky = createS3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 });
    try {
      const o = await options('cut/');
      const r = await syncS3(flaky, o);
      const outcome = (n: string) => r.outcomes.find((x) => x.key === `cut/${n}.wav`);
      assert.equal(outcome('once')?.state, 'downloaded', outcome('once')?.error);
      assert.equal(cuts.get('cut/once.wav'), 0, 'the first try was cut');
      assert.deepEqual(await readFile(outcome('once')?.path as string), body('once'));
      assert.equal(outcome('fine')?.state, 'downloaded');
      assert.equal(outcome('always')?.state, 'failed');
      assert.equal(cuts.get('cut/always.wav'), 99 - FAST_RETRY.attempts, 'tried the configured number of times');
      assert.ok((outcome('always')?.error ?? '').length > 0);
      const files = await filesUnder(o.cacheDir);
      assert.ok(!files.some((f) => f.includes('.part-')), `no partial file: ${files.join(', ')}`);
      assert.ok(!files.some((f) => f.includes('always')), 'nothing cached for the failed object');
      assert.deepEqual(
        r.recordings.map((x) => x.name),
        ['cut/fine.wav', 'cut/once.wav'],
      );
    } finally {
      flaky.destroy();
      proxy.server.close();
    }
  });

  it('creates the cache root 0700 under XDG_CACHE_HOME and refuses one owned by another user', async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'callscribe-xdg-'));
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: base }), join(base, 'callscribe'));
    assert.match(defaultCacheDir({ XDG_CACHE_HOME: 'relative/ignored' }), /\.cache\/callscribe$/);
    const root = await prepareCacheRoot(join(base, 'callscribe'));
    assert.equal((await stat(root)).mode & 0o777, 0o700);
    if (process.getuid?.() !== 0) {
      t.skip('changing a folder owner needs root');
      return;
    }
    const foreign = join(base, 'foreign');
    await mkdir(foreign);
    await chown(foreign, 4242, 4242);
    await assert.rejects(prepareCacheRoot(foreign), /belongs to uid 4242, not to this user/);
  });

  it('takes user:password out of --s3-endpoint and uses them as the key pair', () => {
    const split = splitEndpoint('http://minio-user:p%40ss@127.0.0.1:9000/');
    assert.equal(split.endpoint, 'http://127.0.0.1:9000');
    assert.deepEqual(split.credentials, { accessKeyId: 'minio-user', secretAccessKey: 'p@ss' });
    assert.deepEqual(splitEndpoint('http://127.0.0.1:9000'), { endpoint: 'http://127.0.0.1:9000' });
  });
});
