import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { clientConnection } from '#common/client-options.js';
import { streamAudio, type OpenStream } from '#client/stream-audio.js';
import { BIN, startBinary, stopBinary, type StartedBinary } from '#dev/local-stack.js';
import { makeTlsFiles } from '#dev/tls-files.js';
import { alternateArms, noiseWav, type ArmSummary } from './closed-loop.js';
import { finished, machine, report, setting, table } from './support.js';

/**
 * bench:security — what API keys, TLS on the public side and mTLS + key on the internal hop cost:
 * two stacks side by side (plaintext without keys; everything on), the same load in alternating
 * rounds of one run. Requests are 3 s of line noise (decode + VAD, no ASR), the case where the
 * per-call cost shows most.
 */
const ROUNDS = setting('ROUNDS', 5, 1);
const PER_ROUND = setting('PER_ROUND', 40, 2);
const CONCURRENCY = setting('CONCURRENCY', 4, 2);
const KEY = 'bench-key-0123456789abcdef';

const arm = (name: string, open: OpenStream, audio: Buffer) => ({
  name,
  send: () => streamAudio(open, audio, { deadlineMs: 30_000 }),
});

const tls = await makeTlsFiles();
const keys = join(tls.dir, 'keys');
await writeFile(keys, `${KEY}\n`, { mode: 0o600 });
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
let rows: ArmSummary[];
try {
  rows = await alternateArms(
    [
      arm('plaintext, no keys', (o) => plain.streamTranscribe(o), audio),
      arm('keys + TLS + mTLS hop + metrics', (o) => secure.streamTranscribe(o), audio),
    ],
    ROUNDS,
    CONCURRENCY,
    PER_ROUND,
  );
} finally {
  plain.close();
  secure.close();
  for (const s of started.reverse()) await stopBinary(s);
}
const [p, s] = rows as [ArmSummary, ArmSummary];
report(
  `bench:security on ${machine()}: ${ROUNDS} alternating rounds x ${PER_ROUND} requests per arm, concurrency ${CONCURRENCY}, 3 s noise WAV (decode + VAD, no ASR)\n\n`,
);
report(
  table(
    ['stack', 'requests', 'p50 ms', 'p99 ms', 'req/s'],
    rows.map((r) => [r.name, r.requests, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(1)]),
  ) + '\n\n',
);
report(`added p50: ${(s.p50 - p.p50).toFixed(2)} ms · throughput secure/plaintext: ${(s.rps / p.rps).toFixed(3)}\n`);
finished();
