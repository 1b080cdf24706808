import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OptionError } from '#common/options.js';
import { makeTlsFiles, type TlsFiles } from '#dev/tls-files.js';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../services/gateway/src/server.js';

const KEY = 'metrics-key-0123456789abcdef';

function httpsGet(
  url: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('/metrics behind the API key and the TLS certificate (--metrics-auth api-key --metrics-tls)', () => {
  let tls: TlsFiles;
  let gateway: RunningGateway;
  let keys: string;
  before(async () => {
    tls = await makeTlsFiles();
    keys = join(tls.dir, 'metrics-keys');
    await writeFile(keys, `${KEY}\n`, { mode: 0o600 });
    gateway = await startGateway(
      defaultGatewayConfig({
        listen: '127.0.0.1:0',
        httpListen: 'off',
        // No transcriber needs to answer: /metrics is served either way.
        transcribers: ['127.0.0.1:1'],
        apiKeysFile: keys,
        tlsCert: tls.serverCert,
        tlsKey: tls.serverKey,
        metricsListen: '127.0.0.1:0',
        metricsAuth: 'api-key',
        metricsTls: true,
      }),
    );
  });
  after(() => gateway?.stop(1000));

  it('answers only over HTTPS, and only with a key', async () => {
    const url = `https://${gateway.metricsAddress}/metrics`;
    const ca = await readFile(tls.caCert);
    const without = await httpsGet(url, ca);
    assert.equal(without.status, 401);
    assert.match(without.body, /API key/i);
    assert.equal((await httpsGet(url, ca, { authorization: 'Bearer wrong-key-0123456789abc' })).status, 401);
    const scraped = await httpsGet(url, ca, { authorization: `Bearer ${KEY}` });
    assert.equal(scraped.status, 200);
    assert.match(scraped.body, /^callscribe_gateway_transcriber_streams\{state="open"/m);
    await assert.rejects(fetch(`http://${gateway.metricsAddress}/metrics`), 'plain HTTP gets no answer');
  });

  it('refuses settings that would not protect anything, at start', async () => {
    const base = {
      listen: '127.0.0.1:0',
      httpListen: 'off',
      transcribers: ['127.0.0.1:1'],
      metricsListen: '127.0.0.1:0',
    };
    await assert.rejects(
      startGateway(defaultGatewayConfig({ ...base, metricsAuth: 'api-key' })),
      (e: unknown) => e instanceof OptionError && /needs --api-keys-file/.test(e.message),
    );
    await assert.rejects(
      startGateway(defaultGatewayConfig({ ...base, metricsTls: true })),
      (e: unknown) => e instanceof OptionError && /needs --tls-cert/.test(e.message),
    );
  });
});
