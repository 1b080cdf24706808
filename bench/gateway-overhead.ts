import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { startLocalStack } from '#dev/local-stack.js';
import { streamAudio, type OpenStream } from '#client/stream-audio.js';
import { alternateArms, noiseWav, type ArmSummary } from './closed-loop.js';
import { finished, machine, report, setting, table } from './support.js';
import { tmpdir } from 'node:os';

/**
 * bench:gateway — the same load straight to the transcriber and through the gateway, in alternating
 * rounds of one run. Requests are 3 s of line noise: decode and VAD but no ASR, so the few
 * milliseconds the gateway adds are not lost in seconds of engine time.
 */
const SPEECH = process.env['WORKLOAD'] === 'speech';
const ROUNDS = setting('ROUNDS', SPEECH ? 3 : 6, 1);
const PER_ROUND = setting('PER_ROUND', SPEECH ? 8 : 60, 2);
const CONCURRENCY = setting('CONCURRENCY', SPEECH ? 2 : 4, 2);

const arm = (name: string, open: OpenStream, audio: Buffer) => ({
  name,
  send: () => streamAudio(open, audio, { deadlineMs: 30_000 }),
});

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
let rows: ArmSummary[];
try {
  rows = await alternateArms(
    [
      arm('direct to transcriber', (o) => direct.transcribe(o), audio),
      arm('through gateway', (o) => gateway.streamTranscribe(o), audio),
    ],
    ROUNDS,
    CONCURRENCY,
    PER_ROUND,
  );
} finally {
  direct.close();
  gateway.close();
  await stack.stop();
}
const [d, g] = rows as [ArmSummary, ArmSummary];
const workload = SPEECH
  ? `a ${(audio.length / 32000).toFixed(0)} s call (sphinx ASR)`
  : '3 s noise WAV (decode + VAD, no ASR)';
report(
  `bench:gateway on ${machine()}: ${ROUNDS} alternating rounds x ${PER_ROUND} requests per arm, concurrency ${CONCURRENCY}, ${workload}\n\n`,
);
report(
  table(
    ['path', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s'],
    rows.map((r) => [r.name, r.requests, r.p50.toFixed(2), r.p90.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(1)]),
  ) + '\n\n',
);
report(`added p50: ${(g.p50 - d.p50).toFixed(2)} ms · throughput gateway/direct: ${(g.rps / d.rps).toFixed(3)}\n`);
finished();
