import { createServer } from 'node:net';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { streamAudio } from '#client/stream-audio.js';
import { alternateArms, noiseWav, type ArmSummary } from './closed-loop.js';
import { finished, machine, report, setting, table } from './support.js';

/**
 * bench:http — the same requests to the same gateway over gRPC StreamTranscribe (the baseline) and
 * over its HTTP endpoints, in alternating rounds of one run. Requests are 3 s of line noise: decode
 * and VAD but no ASR, so what the HTTP edge adds (multipart parsing, the per-request JSON) is not lost
 * in seconds of engine time.
 */
const ROUNDS = setting('ROUNDS', 4, 1);
const PER_ROUND = setting('PER_ROUND', 40, 2);
const CONCURRENCY = setting('CONCURRENCY', 4, 2);

/** A port nobody listens on now, for the gateway's --http-listen (its log names the gRPC one first). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

async function post(url: string, audio: Buffer, fields: Array<[string, string]>, fieldsFirst: boolean): Promise<void> {
  const form = new FormData();
  if (fieldsFirst) for (const [k, v] of fields) form.append(k, v);
  form.append('file', new Blob([audio]), 'noise.wav');
  if (!fieldsFirst) for (const [k, v] of fields) form.append(k, v);
  const res = await fetch(url, { method: 'POST', body: form, headers: { diarization: 'false' } });
  await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
}

const audio = await noiseWav();
const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']);
const http = `127.0.0.1:${await freePort()}`;
const gateway = await startBinary(BIN.gateway, [
  '--listen',
  '127.0.0.1:0',
  '--transcriber',
  transcriber.address,
  '--http-listen',
  http,
]);
const client = new GatewayClient(gateway.address, credentials.createInsecure());
const arms = [
  {
    name: 'gRPC StreamTranscribe (baseline)',
    send: async () => void (await streamAudio((o) => client.streamTranscribe(o), audio, { deadlineMs: 30_000 })),
  },
  { name: 'POST /asr/upload_file', send: () => post(`http://${http}/asr/upload_file`, audio, [], true) },
  {
    name: 'POST /v1/audio/transcriptions, language first (streamed)',
    send: () => post(`http://${http}/v1/audio/transcriptions`, audio, [['language', 'en']], true),
  },
  {
    name: 'POST /v1/audio/transcriptions, file first (spooled)',
    send: () => post(`http://${http}/v1/audio/transcriptions`, audio, [['model', 'whisper-1']], false),
  },
];
let rows: ArmSummary[];
try {
  rows = await alternateArms(arms, ROUNDS, CONCURRENCY, PER_ROUND);
} finally {
  client.close();
  await stopBinary(gateway);
  await stopBinary(transcriber);
}
const base = rows[0] as ArmSummary;
report(
  `bench:http on ${machine()}: ${ROUNDS} alternating rounds x ${PER_ROUND} requests per arm, concurrency ${CONCURRENCY}, 3 s noise WAV (decode + VAD, no ASR)\n\n`,
);
report(
  table(
    ['path', 'requests', 'p50 ms', 'p99 ms', 'req/s', 'added p50 ms', 'throughput vs gRPC'],
    rows.map((r) => [
      r.name,
      r.requests,
      r.p50.toFixed(2),
      r.p99.toFixed(2),
      r.rps.toFixed(1),
      (r.p50 - base.p50).toFixed(2),
      (r.rps / base.rps).toFixed(3),
    ]),
  ) + '\n',
);
finished();
