import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationError, bearerToken, clientIdentity, createApiKeyCheck, readApiKeys } from '#common/auth.js';
import { redactText, redactUrl, registerSecret } from '#common/redact.js';
import { redactRunConfig } from '../../loadgen/src/output/redact-config.js';

describe('API key check and secret redaction', () => {
  it('accepts exactly the listed keys, from a Bearer header of either case', () => {
    const check = createApiKeyCheck(['key-one-0123456789', 'key-two-0123456789']);
    assert.equal(bearerToken('Bearer key-one-0123456789'), 'key-one-0123456789');
    assert.equal(bearerToken('bearer  key-two-0123456789 '), 'key-two-0123456789');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(authorizationError(check, 'Bearer key-two-0123456789'), undefined);
    assert.match(authorizationError(check, undefined)?.message ?? '', /requires an API key/);
    assert.match(authorizationError(check, 'Bearer key-one-012345678')?.message ?? '', /not accepted/);
    assert.match(authorizationError(check, 'Bearer key-one-0123456789x')?.message ?? '', /not accepted/);
    assert.equal(createApiKeyCheck([]).required, false);
    assert.equal(createApiKeyCheck([]).matches('anything'), false);
  });

  it('cuts registered secrets, bearer tokens and URL credentials out of text', () => {
    registerSecret('registered-secret-value');
    registerSecret('abc'); // too short to be a secret: ordinary words must survive
    const text = redactText(
      'token registered-secret-value; authorization: Bearer xyz.123; url http://u:p@h:9000/x; keep abc',
    );
    assert.equal(text, 'token ***; authorization: Bearer ***; url http://***@h:9000/x; keep abc');
    assert.equal(redactUrl('http://minio:pw@127.0.0.1:9000/'), 'http://***@127.0.0.1:9000/');
    assert.equal(redactUrl('http://127.0.0.1:9000'), 'http://127.0.0.1:9000');
  });

  it('records a run config without the key or endpoint credentials', () => {
    const shown = redactRunConfig({
      apiKey: 'client-key-0123456789',
      s3Endpoint: 'http://user:pass@minio:9000',
      pushgateway: 'https://a:b@push.example:9091',
      concurrency: 4,
      target: 'gw:50051',
    });
    assert.deepEqual(shown, {
      apiKey: '(set)',
      s3Endpoint: 'http://***@minio:9000/',
      pushgateway: 'https://***@push.example:9091/',
      concurrency: 4,
      target: 'gw:50051',
    });
    assert.equal(redactRunConfig({ apiKey: '' })['apiKey'], '');
  });
});

describe('--api-keys-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-keys-'));
  const file = (name: string, text: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  };

  it('is read when only its owner can read it', () => {
    assert.deepEqual(readApiKeys(file('ok', '# ops\nkey-0123456789abcdef\n\n', 0o600)), ['key-0123456789abcdef']);
  });

  it('is refused when other users can read it, with the chmod that fixes it', () => {
    const path = file('open', 'key-0123456789abcdef\n', 0o644);
    assert.throws(() => readApiKeys(path), new RegExp(`mode 644.*chmod 600 ${path}`));
    assert.throws(() => readApiKeys(file('group', 'key-0123456789abcdef\n', 0o640)), /mode 640/);
  });

  it('is refused when a line is not a bearer token (the wrong file), naming the line', () => {
    const shadow = 'root:$y$j9T$abc:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n';
    assert.throws(() => readApiKeys(file('shadow', shadow, 0o600)), /key 1 is not a bearer token.*right file/);
    assert.throws(() => readApiKeys(file('spaces', 'key-0123456789abcdef\nhas a space in it 0123\n', 0o600)), /key 2/);
  });

  it('is refused when it is not a regular file', () => {
    assert.throws(() => readApiKeys(dir), /not a regular file/);
  });
});

describe('client identity for per-client limits', () => {
  const check = createApiKeyCheck(['tenant-a-0123456789', 'tenant-b-0123456789']);
  it('is the key a caller proved, as a digest, else its address', () => {
    const a = clientIdentity(check, 'Bearer tenant-a-0123456789', '10.0.0.5');
    assert.match(a, /^key:[0-9a-f]{12}$/);
    assert.equal(clientIdentity(check, 'Bearer tenant-a-0123456789', '10.9.9.9'), a, 'the same key from anywhere');
    assert.notEqual(clientIdentity(check, 'Bearer tenant-b-0123456789', '10.0.0.5'), a, 'two keys, two clients');
    assert.ok(!a.includes('tenant'), 'the key itself never appears');
    assert.equal(clientIdentity(check, 'Bearer not-a-key-0123456789', '10.0.0.5'), '10.0.0.5');
    assert.equal(clientIdentity(createApiKeyCheck([]), 'Bearer tenant-a-0123456789', '10.0.0.5'), '10.0.0.5');
  });
});
