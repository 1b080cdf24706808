import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitUntilServing } from '#common/health-check.js';
import { BIN, startBinary, stopBinary, type StartedBinary } from '#dev/local-stack.js';
import { makeTlsFiles, type TlsFiles } from '#dev/tls-files.js';

const PROBE = fileURLToPath(new URL('../dev/compose/healthcheck-main.js', import.meta.url));

/** The compose healthcheck as Docker runs it inside the container: the service's own environment. */
async function probe(port: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [PROBE, port], { env: { ...process.env, ...env } });
    return { code: 0, stderr: '' };
  } catch (err: unknown) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

/** SERVING can take a moment after "listening on" (the gateway's first transcriber connection). */
async function probeUntilHealthy(port: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await probe(port, env);
    if (r.code === 0 || Date.now() > until) return r;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const portOf = (address: string): string => address.slice(address.lastIndexOf(':') + 1);

describe('compose healthcheck (dev/compose/healthcheck-main) against real services', () => {
  let tls: TlsFiles;
  let transcriber: StartedBinary;
  let tlsGateway: StartedBinary;
  let mtlsGateway: StartedBinary;
  before(async () => {
    tls = await makeTlsFiles();
    transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0']);
    await waitUntilServing(transcriber.address, 120_000);
    const gateway = (extra: string[]) =>
      startBinary(BIN.gateway, [
        '--listen',
        '127.0.0.1:0',
        '--http-listen',
        'off',
        '--transcriber',
        transcriber.address,
        '--tls-cert',
        tls.serverCert,
        '--tls-key',
        tls.serverKey,
        ...extra,
      ]);
    tlsGateway = await gateway([]);
    mtlsGateway = await gateway(['--tls-client-ca', tls.caCert]);
  });
  after(async () => {
    for (const s of [mtlsGateway, tlsGateway, transcriber]) if (s !== undefined) await stopBinary(s);
  });

  it('plaintext service: healthy', async () => {
    const r = await probeUntilHealthy(portOf(transcriber.address), { TLS_CERT_FILE: '' });
    assert.equal(r.code, 0, r.stderr);
  });

  it('TLS service: healthy over TLS when the service has TLS_CERT_FILE, unhealthy in plaintext', async () => {
    const port = portOf(tlsGateway.address);
    const r = await probeUntilHealthy(port, { TLS_CERT_FILE: tls.serverCert });
    assert.equal(r.code, 0, r.stderr);
    const plain = await probe(port, { TLS_CERT_FILE: '' });
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^health: /);
  });

  it('mutual TLS: healthy only with the HEALTHCHECK_TLS_CERT_FILE/KEY_FILE client certificate', async () => {
    const port = portOf(mtlsGateway.address);
    const withCert = await probeUntilHealthy(port, {
      TLS_CERT_FILE: tls.serverCert,
      HEALTHCHECK_TLS_CERT_FILE: tls.clientCert,
      HEALTHCHECK_TLS_KEY_FILE: tls.clientKey,
    });
    assert.equal(withCert.code, 0, withCert.stderr);
    const without = await probe(port, { TLS_CERT_FILE: tls.serverCert });
    assert.equal(without.code, 1);
  });

  it('a bad port argument is a usage error', async () => {
    const r = await probe('gateway', {});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: healthcheck-main PORT/);
  });
});
