import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { clientConnection } from '#common/client-options.js';
import { streamAudio, type OpenStream } from '#client/stream-audio.js';
import { BIN, startBinary, stopBinary, type StartedBinary } from '#dev/local-stack.js';
import { makeTlsFiles } from '#dev/tls-files.js';
import { closedLoopRound, noiseWav } from './closed-loop.js';
import { machine, percentile, table } from './support.js';

/**
 * bench:security — what API keys, TLS on the public side and mTLS + key on the internal hop cost:
 * two stacks side by side (plaintext without keys; everything on), the same load in alternating
 * rounds of one run. Requests are 3 s of line noise (decode + VAD, no ASR), the case where the
 * per-call cost shows most.
 */
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const PER_ROUND = Number(process.env['PER_ROUND'] ?? 40);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 4);
const KEY = 'bench-key-0123456789abcdef';

function round(open: OpenStream, audio: Buffer, latencies: number[]): Promise<number> {
  return closedLoopRound(() => streamAudio(open, audio, { deadlineMs: 30_000 }), latencies, CONCURRENCY, PER_ROUND);
}

const tls = await makeTlsFiles();
const keys = join(tls.dir, 'keys');
await writeFile(keys, `${KEY}\n`);
const started: StartedBinary[] = [];
const start = async (bin: string, args: string[]) => {
  const s = await startBinary(bin, ['--listen', '127.0.0.1:0', ...args]);
  started.push(s);
  return s;
};
const plainTr = await start(BIN.transcriber, ['--workers', '1', '--diarizer', 'none']);
const plainGw = await start(BIN.gateway, ['--transcriber', plainTr.address]);
const secureTls = ['--api-keys-file', keys, '--tls-cert', tls.serverCert, '--tls-key', tls.serverKey];
const secureTr = await start(BIN.transcriber, [
  '--workers',
  '1',
  '--diarizer',
  'none',
  ...secureTls,
  '--tls-client-ca',
  tls.caCert,
  '--metrics-listen',
  '127.0.0.1:0',
]);
const secureGw = await start(BIN.gateway, [
  '--transcriber',
  secureTr.address,
  ...secureTls,
  '--transcriber-api-key',
  KEY,
  '--transcriber-tls-ca',
  tls.caCert,
  '--transcriber-tls-cert',
  tls.clientCert,
  '--transcriber-tls-key',
  tls.clientKey,
  '--metrics-listen',
  '127.0.0.1:0',
]);
const audio = await noiseWav();
const plain = new GatewayClient(
  plainGw.address,
  clientConnection({ apiKey: '', tlsCa: '', tlsCert: '', tlsKey: '', tlsServerName: '' }).credentials,
);
const secureConnection = clientConnection({
  apiKey: KEY,
  tlsCa: tls.caCert,
  tlsCert: '',
  tlsKey: '',
  tlsServerName: '',
});
const secure = new GatewayClient(secureGw.address, secureConnection.credentials, secureConnection.options);
const arms = [
  {
    name: 'plaintext, no keys',
    open: ((o) => plain.streamTranscribe(o)) as OpenStream,
    latencies: [] as number[],
    wallMs: 0,
  },
  {
    name: 'keys + TLS + mTLS hop + metrics',
    open: ((o) => secure.streamTranscribe(o)) as OpenStream,
    latencies: [] as number[],
    wallMs: 0,
  },
];
try {
  for (const arm of arms) await round(arm.open, audio, []);
  for (let r = 0; r < ROUNDS; r++) for (const arm of arms) arm.wallMs += await round(arm.open, audio, arm.latencies);
} finally {
  plain.close();
  secure.close();
  for (const s of started.reverse()) await stopBinary(s);
}
const rows = arms.map((a) => {
  const sorted = [...a.latencies].sort((x, y) => x - y);
  return { a, p50: percentile(sorted, 50), p99: percentile(sorted, 99), rps: a.latencies.length / (a.wallMs / 1000) };
});
const [p, s] = rows as [(typeof rows)[0], (typeof rows)[0]];
process.stdout.write(
  `bench:security on ${machine()}: ${ROUNDS} alternating rounds x ${PER_ROUND} requests per arm, concurrency ${CONCURRENCY}, 3 s noise WAV (decode + VAD, no ASR)\n\n`,
);
process.stdout.write(
  table(
    ['stack', 'requests', 'p50 ms', 'p99 ms', 'req/s'],
    rows.map((r) => [r.a.name, r.a.latencies.length, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(1)]),
  ) + '\n\n',
);
process.stdout.write(
  `added p50: ${(s.p50 - p.p50).toFixed(2)} ms · throughput secure/plaintext: ${(s.rps / p.rps).toFixed(3)}\n`,
);
