import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { ensureCorpus } from '#dev/demo/corpus-cache.js';
import { startLocalStack } from '#dev/local-stack.js';
import { streamAudio } from '#client/stream-audio.js';
import { startBareEngine, type BareRound } from './bare-engine.js';
import { smokeCall } from './smoke-inputs.js';
import { finished, machine, median, report, setting, SMOKE, table } from './support.js';

/**
 * bench:service — the same recordings through gateway + transcriber and through the bare engine
 * decoding them in parallel processes on the same cores, in alternating rounds of one run. Aggregate
 * RTFx = audio seconds / wall seconds. The sample calls have a ring, pauses between turns and a hold,
 * as real calls do: the service's VAD sends only speech to the engine. ROUNDS (3) rounds, each
 * PASSES (1) passes over the 8 sample calls per arm; the ratio is taken per round.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROUNDS = setting('ROUNDS', 3, 1);
const PASSES = setting('PASSES', 1, 1);
const cores = availableParallelism();

interface ServiceRound extends BareRound {
  speechSec: number;
}

/** The sample calls; a smoke run takes two spoken sentences instead (a call takes a minute to decode twice on 2 busy cores). */
async function recordings(): Promise<string[]> {
  if (SMOKE) return [(await smokeCall('mono')).path];
  const dir = join(tmpdir(), 'callscribe-bench-corpus');
  return (await ensureCorpus(dir, (m) => process.stderr.write(m + '\n'))).map((n) => join(dir, n));
}

const chosen = await recordings();
const files = Array.from({ length: PASSES }, () => chosen).flat();

// Both arms load their models and decode once before any timing.
const bare = await startBareEngine(ROOT, cores, files.slice(0, cores));
const stack = await startLocalStack(['--workers', String(cores)]).catch(async (err: unknown) => {
  await bare.close();
  throw err;
});
const client = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());

async function serviceRound(audios: Buffer[]): Promise<ServiceRound> {
  const r: ServiceRound = { audioSec: 0, speechSec: 0, words: 0, wallSec: 0 };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: cores * 2 }, async () => {
      for (let i = next++; i < audios.length; i = next++) {
        const out = await streamAudio((o) => client.streamTranscribe(o), audios[i] as Buffer, {
          deadlineMs: 600_000,
        });
        r.audioSec += out.final.audioDurationSec;
        r.speechSec += out.final.speechSec;
        r.words += out.final.transcript.split(' ').filter((w) => w !== '').length;
      }
    }),
  );
  r.wallSec = (performance.now() - t0) / 1000;
  return r;
}

const bareRounds: BareRound[] = [];
const serviceRounds: ServiceRound[] = [];
try {
  const audios = await Promise.all(files.map((f) => readFile(f)));
  await Promise.all(audios.slice(0, cores).map((a) => streamAudio((o) => client.streamTranscribe(o), a)));
  for (let round = 0; round < ROUNDS; round++) {
    // The first arm alternates too (bare first, then service first), so a load that builds up or
    // falls off during a round does not always land on the same arm.
    if (round % 2 === 0) {
      bareRounds.push(await bare.round(files));
      serviceRounds.push(await serviceRound(audios));
    } else {
      serviceRounds.push(await serviceRound(audios));
      bareRounds.push(await bare.round(files));
    }
  }
} finally {
  client.close();
  await stack.stop();
  await bare.close();
}

const rtfx = (r: BareRound) => r.audioSec / r.wallSec;
const ratios = serviceRounds.map((s, i) => rtfx(s) / rtfx(bareRounds[i] as BareRound));
const sum = (rounds: BareRound[], key: keyof BareRound) => rounds.reduce((n, r) => n + r[key], 0);
const sorted = [...ratios].sort((a, b) => a - b);
const range = `${(sorted[0] ?? NaN).toFixed(2)}-${(sorted[sorted.length - 1] ?? NaN).toFixed(2)}`;
const audioPerRound = bareRounds[0]?.audioSec ?? NaN;
report(
  `bench:service on ${machine()}: ${ROUNDS} alternating rounds, each ${files.length} recordings (${audioPerRound.toFixed(0)} s of audio) through each arm, ${cores} engine processes each side\n\n`,
);
report(
  table(
    ['round', 'bare wall s', 'bare RTFx', 'service wall s', 'service RTFx', 'service / bare'],
    ratios.map((ratio, i) => {
      const b = bareRounds[i] as BareRound;
      const s = serviceRounds[i] as ServiceRound;
      return [
        i + 1,
        b.wallSec.toFixed(2),
        rtfx(b).toFixed(2),
        s.wallSec.toFixed(2),
        rtfx(s).toFixed(2),
        ratio.toFixed(2),
      ];
    }),
  ) + '\n\n',
);
report(
  table(
    ['path (all rounds)', 'audio s', 'audio sent to engine s', 'wall s', 'aggregate RTFx', 'words out per round'],
    [
      [
        `bare pocketsphinx, ${cores} processes, whole files`,
        sum(bareRounds, 'audioSec').toFixed(1),
        sum(bareRounds, 'audioSec').toFixed(1),
        sum(bareRounds, 'wallSec').toFixed(2),
        (sum(bareRounds, 'audioSec') / sum(bareRounds, 'wallSec')).toFixed(2),
        bareRounds.map((r) => r.words).join(', '),
      ],
      [
        `callscribe gateway + transcriber (${cores} workers)`,
        sum(serviceRounds, 'audioSec').toFixed(1),
        serviceRounds.reduce((n, r) => n + r.speechSec, 0).toFixed(1),
        sum(serviceRounds, 'wallSec').toFixed(2),
        (sum(serviceRounds, 'audioSec') / sum(serviceRounds, 'wallSec')).toFixed(2),
        serviceRounds.map((r) => r.words).join(', '),
      ],
    ],
  ) + '\n\n',
);
report(`service / bare RTFx over ${ROUNDS} rounds: ${range} (median ${median(ratios).toFixed(2)})\n`);
finished();
