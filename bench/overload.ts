import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { speak, writeAudio } from '#dev/corpus/espeak.js';
import { startLocalStack } from '#dev/local-stack.js';
import { peakSampler, rssOf, runOpenLoop } from '#dev/open-loop.js';
import { streamAudio } from '#client/stream-audio.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished, machine, percentile, report, setting, sized, SMOKE, table } from './support.js';

/**
 * bench:overload — open-loop load at 3x the measured capacity, side by side in each run:
 * - admission with a concurrency limit sized to the engine, against no admission (limits lifted);
 * - the default limits with the early refusal on (a request that could not finish before its
 *   deadline behind those running is refused at once), against the same with --no-refuse-late.
 * Reports what was accepted, refused (and how fast) and lost (failed for any other reason, i.e. a
 * missed deadline), accepted latency from the intended start, and peak RSS of each process vs idle.
 * The loadgen is one client, so the gateway's per-client limit is off in every arm.
 */
const RUNS = setting('RUNS', 3, 1);
const SECONDS = setting('SECONDS', 30, 1);
const DEADLINE_MS = setting('DEADLINE_MS', 45_000, 45_000);
const WORKERS = SMOKE ? '1' : (process.env['WORKERS'] ?? '2');
const ADMIT = SMOKE ? '1' : (process.env['ADMIT'] ?? '4');
const MB = 1024 * 1024;

async function speechWav(): Promise<Buffer> {
  const text = sized('I would like to check the balance of my account please.', 'Check my balance, please.');
  const samples = await speak(text, 'en-us+f2');
  const path = join(mkdtempSync(join(tmpdir(), 'callscribe-bench-')), 'overload.wav');
  await writeAudio(path, [samples], ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1']);
  return readFileSync(path);
}

interface ArmResult {
  arm: string;
  capacity: number;
  rate: number;
  sent: number;
  accepted: number;
  refused: number;
  /** Slowest refusal, from the intended start: "at once" means milliseconds. */
  refusedMaxMs: number;
  lost: number;
  p50: number;
  p99: number;
  acceptedPerSec: number;
  idleMb: number;
  peakMb: number;
}

/** One arm; `rate` undefined measures capacity first and sends at 3x it, so both arms share a rate. */
async function arm(name: string, transcriberArgs: string[], audio: Buffer, givenRate?: number): Promise<ArmResult> {
  const stack = await startLocalStack(['--workers', WORKERS, ...transcriberArgs], ['--max-requests-per-client', '0']);
  const client = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
  const open = (o: { deadline?: number }) => client.streamTranscribe(o);
  const config = { language: 'en' };
  try {
    // Capacity, closed loop at the admitted concurrency: what the engine finishes per second.
    const concurrency = Number(ADMIT);
    await Promise.all(Array.from({ length: concurrency }, () => streamAudio(open, audio, { config })));
    const idle = rssOf(stack.transcriberPid) + rssOf(stack.gatewayPid);
    let capacity = givenRate === undefined ? 0 : givenRate / 3;
    if (givenRate === undefined) {
      const t0 = performance.now();
      const total = 3 * concurrency;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await streamAudio(open, audio, { config, deadlineMs: DEADLINE_MS });
        }),
      );
      capacity = total / ((performance.now() - t0) / 1000);
    }
    const rate = 3 * capacity;
    const count = Math.round(rate * SECONDS);
    const peak = peakSampler(() => rssOf(stack.transcriberPid) + rssOf(stack.gatewayPid));
    const started = performance.now();
    const outcomes = await runOpenLoop({ open, audio, rate, count, deadlineMs: DEADLINE_MS, config });
    const wallSec = (performance.now() - started) / 1000;
    const peakBytes = peak.stop();
    const accepted = outcomes.filter((o) => o.code === 0);
    const latencies = accepted.map((o) => o.latencyMs).sort((a, b) => a - b);
    return {
      arm: name,
      capacity,
      rate,
      sent: outcomes.length,
      accepted: accepted.length,
      refused: outcomes.filter((o) => o.code === 8).length,
      refusedMaxMs: Math.max(0, ...outcomes.filter((o) => o.code === 8).map((o) => o.latencyMs)),
      lost: outcomes.filter((o) => o.code !== 0 && o.code !== 8).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      acceptedPerSec: accepted.length / wallSec,
      idleMb: idle / MB,
      peakMb: peakBytes / MB,
    };
  } finally {
    client.close();
    await stack.stop();
  }
}

const audio = await speechWav();
const rows: ArmResult[] = [];
for (let run = 0; run < RUNS; run++) {
  const admitted = await arm('admission', ['--max-concurrent-requests', ADMIT], audio);
  rows.push(admitted);
  rows.push(
    await arm(
      'no admission (baseline)',
      ['--max-concurrent-requests', '100000', '--max-queued-audio-sec', '10000000', '--no-refuse-late'],
      audio,
      admitted.rate,
    ),
  );
  // The default limits, where only the early refusal stands between the queue and the deadlines.
  rows.push(await arm('defaults, --no-refuse-late (baseline)', ['--no-refuse-late'], audio, admitted.rate));
  rows.push(await arm('defaults, early refusal', [], audio, admitted.rate));
}
const ARMS_PER_RUN = 4;
report(
  `bench:overload on ${machine()}: sphinx, --workers ${WORKERS}, ${RUNS} runs; capacity measured per run on the admission arm (closed loop, ` +
    `concurrency ${ADMIT}, ${3 * Number(ADMIT)} requests), then every arm gets ${SECONDS} s of open-loop arrivals at 3x it, ${DEADLINE_MS / 1000} s deadlines, a ${(audio.length / 32000).toFixed(1)} s call\n\n`,
);
report(
  table(
    [
      'run',
      'arm',
      'capacity req/s',
      'sent',
      'accepted',
      'refused',
      'slowest refusal ms',
      'lost',
      'accepted req/s',
      'p50 ms',
      'p99 ms',
      'RSS idle MB',
      'RSS peak MB',
    ],
    rows.map((r, i) => [
      Math.floor(i / ARMS_PER_RUN) + 1,
      r.arm,
      r.capacity.toFixed(2),
      r.sent,
      r.accepted,
      r.refused,
      r.refusedMaxMs.toFixed(0),
      r.lost,
      r.acceptedPerSec.toFixed(2),
      r.p50.toFixed(0),
      r.p99.toFixed(0),
      r.idleMb.toFixed(0),
      r.peakMb.toFixed(0),
    ]),
  ) + '\n',
);
finished();
