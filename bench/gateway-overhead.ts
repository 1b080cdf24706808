import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { startLocalStack } from '#dev/local-stack.js';
import { streamAudio, type OpenStream } from '#client/stream-audio.js';
import { closedLoopRound, noiseWav } from './closed-loop.js';
import { machine, percentile, table } from './support.js';
import { tmpdir } from 'node:os';

/**
 * bench:gateway — the same load straight to the transcriber and through the gateway, in alternating
 * rounds of one run. Requests are 3 s of line noise: decode and VAD but no ASR, so the few
 * milliseconds the gateway adds are not lost in seconds of engine time.
 */
const SPEECH = process.env['WORKLOAD'] === 'speech';
const ROUNDS = Number(process.env['ROUNDS'] ?? (SPEECH ? 3 : 6));
const PER_ROUND = Number(process.env['PER_ROUND'] ?? (SPEECH ? 8 : 60));
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? (SPEECH ? 2 : 4));

function round(open: OpenStream, audio: Buffer, latencies: number[]): Promise<number> {
  return closedLoopRound(() => streamAudio(open, audio, { deadlineMs: 30_000 }), latencies, CONCURRENCY, PER_ROUND);
}

async function speechWav(): Promise<Buffer> {
  const { ensureCorpus } = await import('#dev/demo/corpus-cache.js');
  const dir = join(tmpdir(), 'callscribe-bench-corpus');
  const files = await ensureCorpus(dir, () => {});
  return readFile(join(dir, files.find((f) => f.includes('mono')) as string));
}

const stack = await startLocalStack(['--workers', SPEECH ? '2' : '1']);
const audio = SPEECH ? await speechWav() : await noiseWav();
const direct = new TranscriberClient(stack.transcriberAddress, credentials.createInsecure());
const gateway = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
const arms: Array<{ name: string; open: OpenStream; latencies: number[]; wallMs: number }> = [
  { name: 'direct to transcriber', open: (o) => direct.transcribe(o), latencies: [], wallMs: 0 },
  { name: 'through gateway', open: (o) => gateway.streamTranscribe(o), latencies: [], wallMs: 0 },
];
try {
  // Warm both paths (connections, JIT) before measuring.
  for (const arm of arms) await round(arm.open, audio, []);
  for (let r = 0; r < ROUNDS; r++) for (const arm of arms) arm.wallMs += await round(arm.open, audio, arm.latencies);
} finally {
  direct.close();
  gateway.close();
  await stack.stop();
}
const rows = arms.map((a) => {
  const sorted = [...a.latencies].sort((x, y) => x - y);
  return {
    a,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    rps: a.latencies.length / (a.wallMs / 1000),
  };
});
const [d, g] = rows as [(typeof rows)[0], (typeof rows)[0]];
const workload = SPEECH
  ? `a ${(audio.length / 32000).toFixed(0)} s call (sphinx ASR)`
  : '3 s noise WAV (decode + VAD, no ASR)';
process.stdout.write(
  `bench:gateway on ${machine()}: ${ROUNDS} alternating rounds x ${PER_ROUND} requests per arm, concurrency ${CONCURRENCY}, ${workload}\n\n`,
);
process.stdout.write(
  table(
    ['path', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s'],
    rows.map((r) => [
      r.a.name,
      r.a.latencies.length,
      r.p50.toFixed(2),
      r.p90.toFixed(2),
      r.p99.toFixed(2),
      r.rps.toFixed(1),
    ]),
  ) + '\n\n',
);
process.stdout.write(
  `added p50: ${(g.p50 - d.p50).toFixed(2)} ms · throughput gateway/direct: ${(g.rps / d.rps).toFixed(3)}\n`,
);
