import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { ServerStats, TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { clientConnection } from '#common/client-options.js';
import { checkHealth } from '#common/health-check.js';
import { channelCredentials } from '#common/tls.js';
import { streamAudio } from '#client/stream-audio.js';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../services/gateway/src/server.js';
import { defaultTranscriberConfig } from '../services/transcriber/src/config.js';
import { startTranscriber, type RunningTranscriber } from '../services/transcriber/src/server.js';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary } from './support/processes.js';
import { expectGrpcError } from './support/stack.js';
import { makeTlsFiles, type TlsFiles } from '#dev/tls-files.js';

const GATEWAY_KEY = 'gw-key-0123456789abcdef';
const TRANSCRIBER_KEY = 'tr-key-fedcba9876543210';

type Client = GatewayClient;
const gatewayClient = (address: string, tls: TlsFiles, apiKey: string, ca = tls.caCert): Client => {
  const c = clientConnection({ apiKey, tlsCa: ca, tlsCert: '', tlsKey: '', tlsServerName: '' });
  return new GatewayClient(address, c.credentials, c.options);
};
const stats = (client: Client): Promise<ServerStats> =>
  new Promise((resolve, reject) =>
    client.getServerStats({}, new Metadata(), { deadline: Date.now() + 10_000 }, (err, s) =>
      err !== null ? reject(err) : resolve(s),
    ),
  );
const transcriberStats = (client: TranscriberClient): Promise<TranscriberStats> =>
  new Promise((resolve, reject) =>
    client.getStats({}, new Metadata(), { deadline: Date.now() + 10_000 }, (err, s) =>
      err !== null ? reject(err) : resolve(s),
    ),
  );

/** One sample of a Prometheus text exposition, summed over the series that carry every given label. */
async function scrape(address: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** grpc.reflection.v1 ListServices, with a client built from the reflection package's own proto. */
function listServices(address: string, creds: ReturnType<typeof channelCredentials>): Promise<string[]> {
  const protoDir = join(process.cwd(), 'node_modules/@grpc/reflection/build/proto');
  const definition = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [protoDir], keepCase: true });
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: new (a: string, c: unknown) => Record<string, () => unknown> } } };
  };
  const Ctor = pkg.grpc.reflection.v1.ServerReflection;
  const client = new Ctor(address, creds);
  return new Promise((resolve, reject) => {
    const call = (client['ServerReflectionInfo'] as () => NodeJS.ReadWriteStream & { end(): void }).call(client);
    call.on('data', (r: { list_services_response?: { service: { name: string }[] } }) =>
      resolve((r.list_services_response?.service ?? []).map((s) => s.name)),
    );
    call.on('error', reject);
    call.write({ list_services: '' } as never);
    call.end();
  }).finally(() => (client as unknown as { close(): void }).close()) as Promise<string[]>;
}

describe('API keys, TLS and mTLS, metrics and reflection (real servers, certificates made with openssl)', () => {
  let tls: TlsFiles;
  let transcriber: RunningTranscriber;
  let gateway: RunningGateway;
  let openGateway: RunningGateway;
  let wav: Buffer;

  before(async () => {
    tls = await makeTlsFiles();
    const gatewayKeys = join(tls.dir, 'gateway-keys');
    const transcriberKeys = join(tls.dir, 'transcriber-keys');
    await writeFile(gatewayKeys, `# one per line\n${GATEWAY_KEY}\nsecond-key-0123456789\n`, { mode: 0o600 });
    await writeFile(transcriberKeys, `${TRANSCRIBER_KEY}\n`, { mode: 0o600 });
    transcriber = await startTranscriber(
      defaultTranscriberConfig({
        listen: '127.0.0.1:0',
        workers: 1,
        diarizer: 'none',
        apiKeysFile: transcriberKeys,
        tlsCert: tls.serverCert,
        tlsKey: tls.serverKey,
        tlsClientCa: tls.caCert,
        metricsListen: '127.0.0.1:0',
      }),
    );
    const hop = {
      transcribers: [transcriber.address],
      transcriberApiKey: TRANSCRIBER_KEY,
      transcriberTlsCa: tls.caCert,
      transcriberTlsCert: tls.clientCert,
      transcriberTlsKey: tls.clientKey,
    };
    gateway = await startGateway(
      defaultGatewayConfig({
        listen: '127.0.0.1:0',
        ...hop,
        apiKeysFile: gatewayKeys,
        tlsCert: tls.serverCert,
        tlsKey: tls.serverKey,
        metricsListen: '127.0.0.1:0',
      }),
    );
    // No keys on its public side: anyone may call it, so its stats hide the internals.
    openGateway = await startGateway(defaultGatewayConfig({ listen: '127.0.0.1:0', ...hop }));
    wav = await speechFile('security-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K);
  });
  after(async () => {
    await gateway?.stop(1000);
    await openGateway?.stop(1000);
    await transcriber?.stop(1000);
  });

  it('refuses a call without a key or with a wrong one (UNAUTHENTICATED, saying what to send)', async () => {
    const before = await scrape(gateway.metricsAddress as string, 'callscribe_grpc_requests_total', {
      code: 'UNAUTHENTICATED',
    });
    for (const [key, message] of [
      ['', /requires an API key: send the metadata "authorization: Bearer <key>"/],
      ['wrong-key-0123456789abc', /API key was not accepted/],
    ] as const) {
      const client = gatewayClient(gateway.address, tls, key);
      try {
        const stream = await expectGrpcError(
          streamAudio((o) => client.streamTranscribe(o), wav, { deadlineMs: 20_000 }),
        );
        assert.equal(stream.code, status.UNAUTHENTICATED, stream.message);
        assert.match(stream.details, message);
        const unary = await expectGrpcError(stats(client));
        assert.equal(unary.code, status.UNAUTHENTICATED);
      } finally {
        client.close();
      }
    }
    const after = await scrape(gateway.metricsAddress as string, 'callscribe_grpc_requests_total', {
      code: 'UNAUTHENTICATED',
    });
    assert.equal(after - before, 4, 'each refused call is counted under its status');
  });

  it('transcribes with the right key over TLS, through the mTLS hop with the gateway key, and the metrics move', async () => {
    const gwCalls = () =>
      scrape(gateway.metricsAddress as string, 'callscribe_grpc_requests_total', {
        method: 'streamTranscribe',
        code: 'OK',
      });
    const trAudio = () => scrape(transcriber.metricsAddress as string, 'callscribe_audio_seconds_total');
    const trSpeech = () => scrape(transcriber.metricsAddress as string, 'callscribe_speech_seconds_total');
    const [calls0, audio0, speech0] = [await gwCalls(), await trAudio(), await trSpeech()];
    const client = gatewayClient(gateway.address, tls, GATEWAY_KEY);
    try {
      const { final } = await streamAudio((o) => client.streamTranscribe(o), wav, { deadlineMs: 60_000 });
      assert.ok(final.audioDurationSec > 1);
      assert.match(final.transcript.toLowerCase(), /balance|account/);
      assert.equal((await gwCalls()) - calls0, 1);
      assert.ok(Math.abs((await trAudio()) - audio0 - final.audioDurationSec) < 0.01, 'audio seconds counted');
      assert.ok((await trSpeech()) - speech0 > 0, 'speech seconds counted');
      const tr = transcriber.metricsAddress as string;
      assert.ok((await scrape(tr, 'callscribe_batches_total')) >= 1, 'batch sizes exported');
      assert.ok(
        (await scrape(tr, 'callscribe_grpc_request_duration_seconds_count', { method: 'transcribe' })) >= 1,
        'latency histogram',
      );
      const text = await (await fetch(`http://${tr}/metrics`)).text();
      for (const name of ['callscribe_queue_depth', 'callscribe_worker_restarts_total', 'callscribe_gpu_available'])
        assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `${name} exported`);
      // The authenticated caller sees the internals.
      const full = await stats(client);
      assert.equal(full.transcribers[0]?.address, transcriber.address);
      const pid = full.transcribers[0]?.workers[0]?.pid ?? 0;
      assert.ok(pid > 0);
      // A crashed worker is restarted, and the restart is counted.
      const restarts0 = await scrape(tr, 'callscribe_worker_restarts_total');
      process.kill(pid, 'SIGKILL');
      const until = Date.now() + 60_000;
      while ((await scrape(tr, 'callscribe_worker_restarts_total')) === restarts0 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 200));
      assert.equal((await scrape(tr, 'callscribe_worker_restarts_total')) - restarts0, 1);
    } finally {
      client.close();
    }
  });

  it('answers with the request id: the one the client sent, or a new one', async () => {
    const client = gatewayClient(gateway.address, tls, GATEWAY_KEY);
    const idOf = (sent?: string) =>
      new Promise<string>((resolve, reject) => {
        const md = new Metadata();
        if (sent !== undefined) md.set('x-request-id', sent);
        const call = client.getServerStats({}, md, { deadline: Date.now() + 10_000 }, (err) => {
          if (err !== null) reject(err);
        });
        call.on('metadata', (headers: Metadata) => resolve(String(headers.get('x-request-id')[0])));
      });
    try {
      assert.equal(await idOf('client-chosen-id.42'), 'client-chosen-id.42');
      assert.match(await idOf(), /^[0-9a-f-]{36}$/);
      assert.match(await idOf('not allowed: spaces'), /^[0-9a-f-]{36}$/);
    } finally {
      client.close();
    }
  });

  it('hides transcriber addresses and worker pids from callers without a key', async () => {
    const c = new GatewayClient(openGateway.address, credentials.createInsecure());
    try {
      const s = await stats(c);
      assert.equal(s.errors.length, 0, s.errors.join('; '));
      assert.equal(s.transcribers[0]?.address, 'transcriber #1');
      assert.ok((s.transcribers[0]?.workers.length ?? 0) > 0);
      assert.ok(s.transcribers[0]?.workers.every((w) => w.pid === 0));
      assert.ok(!JSON.stringify(s).includes(transcriber.address));
    } finally {
      c.close();
    }
  });

  it('keeps health open without a key, and reflection lists the services', async () => {
    const tlsCreds = channelCredentials({ caFile: tls.caCert, certFile: '', keyFile: '' });
    assert.equal(await checkHealth(gateway.address, '', 5000, tlsCreds), 'SERVING');
    const services = await listServices(gateway.address, tlsCreds);
    assert.ok(services.includes('callscribe.v1.Gateway'), services.join(', '));
    assert.ok(services.includes('grpc.health.v1.Health'), services.join(', '));
    const internal = await listServices(
      transcriber.address,
      channelCredentials({ caFile: tls.caCert, certFile: tls.clientCert, keyFile: tls.clientKey }),
    );
    assert.ok(internal.includes('callscribe.v1.Transcriber'), internal.join(', '));
  });

  it('the loadgen and the CLI speak TLS and send their key', async () => {
    const source = await mkdtemp(join(tmpdir(), 'callscribe-tls-source-'));
    await writeFile(join(source, 'balance.wav'), wav);
    const out = join(source, 'out');
    await mkdir(out);
    const result = await runLoadTest(
      defaultRunConfig({
        source,
        target: gateway.address,
        tlsCa: tls.caCert,
        apiKey: GATEWAY_KEY,
        count: 1,
        concurrency: 1,
        progress: 'off',
        statsIntervalMs: 100,
        out,
        runId: 'tls',
      }),
      () => {},
    );
    assert.equal(result.exitCode, 0, JSON.stringify(result.summaries));
    const config = JSON.parse(await readFile(join(result.runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config['apiKey'], '(set)');
    const cli = await runBinary(BIN.cli, [
      'stats',
      '--target',
      gateway.address,
      '--tls-ca',
      tls.caCert,
      '--api-key',
      GATEWAY_KEY,
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as ServerStats).transcribers[0]?.address, transcriber.address);
  });

  it('refuses plaintext clients, clients that trust another CA, and transcriber callers without a client certificate', async () => {
    const failsToConnect = async (p: Promise<unknown>) => {
      const err: ServiceError = await expectGrpcError(p);
      assert.ok([status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(err.code), `${err.code}: ${err.details}`);
    };
    const plain = new GatewayClient(gateway.address, credentials.createInsecure());
    const otherCa = gatewayClient(gateway.address, tls, GATEWAY_KEY, tls.otherCaCert);
    const noClientCert = new TranscriberClient(
      transcriber.address,
      channelCredentials({ caFile: tls.caCert, certFile: '', keyFile: '' }),
    );
    const certNoKey = new TranscriberClient(
      transcriber.address,
      channelCredentials({ caFile: tls.caCert, certFile: tls.clientCert, keyFile: tls.clientKey }),
    );
    const certAndKey = (() => {
      const c = clientConnection({
        apiKey: TRANSCRIBER_KEY,
        tlsCa: tls.caCert,
        tlsCert: tls.clientCert,
        tlsKey: tls.clientKey,
        tlsServerName: '',
      });
      return new TranscriberClient(transcriber.address, c.credentials, c.options);
    })();
    try {
      await failsToConnect(stats(plain));
      await failsToConnect(stats(otherCa));
      await failsToConnect(transcriberStats(noClientCert));
      const unauthenticated = await expectGrpcError(transcriberStats(certNoKey));
      assert.equal(unauthenticated.code, status.UNAUTHENTICATED);
      assert.ok((await transcriberStats(certAndKey)).workers.length > 0);
    } finally {
      for (const c of [plain, otherCa, noClientCert, certNoKey, certAndKey]) c.close();
    }
  });
});
