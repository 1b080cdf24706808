import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalS3, type LocalS3 } from '#dev/demo/s3-server.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary, startBinary, stopBinary, type Started } from './support/processes.js';

// Every secret a run handles, each distinctive enough that finding it anywhere is a leak.
const SECRETS = {
  gatewayKey: 'gw-secret-key-4f1a9c2e7b',
  transcriberKey: 'tr-secret-key-8d3b6a0f5c',
  hfToken: 'hf_secretTokenValue1234567',
  awsKeyId: 'AKIASECRETKEYID0042',
  awsSecret: 'aws-secret-access-key-9e8d7c6b5a',
  endpointUser: 'endpointUserSecret77',
  endpointPassword: 'endpointPasswordSecret88',
};

describe('no secret in any log line, error or result file (processes with keys, HF_TOKEN and AWS keys set)', () => {
  let s3: LocalS3;
  let transcriber: Started;
  let gateway: Started;
  const saved = { ...process.env };
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callscribe-secrets-'));
    await writeFile(join(dir, 'gateway-keys'), `${SECRETS.gatewayKey}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'transcriber-keys'), `${SECRETS.transcriberKey}\n`, { mode: 0o600 });
    // The children inherit these, as they would from a deployment's environment.
    Object.assign(process.env, {
      HF_TOKEN: SECRETS.hfToken,
      AWS_ACCESS_KEY_ID: SECRETS.awsKeyId,
      AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret,
      TRANSCRIBER_API_KEY: SECRETS.transcriberKey,
      LOG_LEVEL: 'debug',
      S3RVER_EXTRA_KEYS: `${SECRETS.awsKeyId}:${SECRETS.awsSecret},${SECRETS.endpointUser}:${SECRETS.endpointPassword}`,
    });
    s3 = await startLocalS3(['calls']);
    await s3.put('calls', 'p/balance.wav', await speechFile('secrets.wav', SENTENCES.balance, 'en-us+f2', WAV_16K));
    transcriber = await startBinary(BIN.transcriber, [
      '--listen',
      '127.0.0.1:0',
      '--workers',
      '1',
      '--diarizer',
      'none',
      '--api-keys-file',
      join(dir, 'transcriber-keys'),
    ]);
    gateway = await startBinary(BIN.gateway, [
      '--listen',
      '127.0.0.1:0',
      '--transcriber',
      transcriber.address,
      '--api-keys-file',
      join(dir, 'gateway-keys'),
    ]);
  });
  after(async () => {
    if (gateway !== undefined) await stopBinary(gateway);
    if (transcriber !== undefined) await stopBinary(transcriber);
    await s3?.stop();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('runs the loadgen from S3 and the CLI with keys, carries one request id across both services, and leaks nothing', async () => {
    const endpoint = s3.endpoint.replace('://', `://${SECRETS.endpointUser}:${SECRETS.endpointPassword}@`);
    const out = join(dir, 'results');
    const load = await runBinary(BIN.loadgen, [
      'run',
      '--source',
      's3://calls/p/',
      '--s3-endpoint',
      endpoint,
      '--cache-dir',
      join(dir, 'cache'),
      '--target',
      gateway.address,
      '--api-key',
      SECRETS.gatewayKey,
      '--count',
      '1',
      '--concurrency',
      '1',
      '--progress',
      'off',
      '--out',
      out,
      '--run-id',
      'leak-check',
    ]);
    assert.equal(load.code, 0, load.stderr);
    const wrong = await runBinary(BIN.cli, ['stats', '--target', gateway.address, '--api-key', 'not-the-key-123456']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /API key was not accepted.*\(gRPC status 16\)/);
    const wav = join(dir, 'call.wav');
    await writeFile(wav, await speechFile('secrets.wav', SENTENCES.balance, 'en-us+f2', WAV_16K));
    process.env['CALLSCRIBE_API_KEY'] = SECRETS.gatewayKey;
    const cli = await runBinary(BIN.cli, ['transcribe', wav, '--target', gateway.address, '--request-tag', 'tag-7781']);
    assert.equal(cli.code, 0, cli.stderr);

    // One request id from the gateway to the transcriber, logged with the client's request_tag on both.
    const lines = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const gatewayLines = lines(gateway.output());
    const tagged = gatewayLines.find((l) => l['request_tag'] === 'tag-7781');
    assert.ok(tagged !== undefined, 'the gateway logged the request with its tag');
    const id = tagged['request_id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.ok(
      lines(transcriber.output()).some((l) => l['request_id'] === id && l['request_tag'] === 'tag-7781'),
      'the transcriber logged the same request id and tag',
    );
    assert.ok(
      gatewayLines.some((l) => String(l['request_tag'] ?? '').startsWith('loadgen ')),
      'loadgen requests carry a tag',
    );

    const config = JSON.parse(await readFile(join(out, 'leak-check', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.match(String(config['s3Endpoint']), /^http:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    assert.equal(config['apiKey'], '(set)');

    const texts: Record<string, string> = {
      'gateway log': gateway.output(),
      'transcriber log': transcriber.output(),
      'loadgen output': load.stdout + load.stderr,
      'cli output': cli.stdout + cli.stderr + wrong.stdout + wrong.stderr,
    };
    for (const name of await readdir(join(out, 'leak-check')))
      texts[name] = await readFile(join(out, 'leak-check', name), 'utf8');
    assert.ok(Object.keys(texts).length >= 8, Object.keys(texts).join(', '));
    assert.ok(texts['gateway log']?.includes('"level":"debug"'), 'debug lines were on');
    for (const [where, text] of Object.entries(texts))
      for (const [secret, value] of Object.entries(SECRETS))
        assert.ok(!text.includes(value), `${secret} appears in ${where}`);
  });
});
