import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { run } from '#dev/corpus/espeak.js';
import { ensureCorpus } from '#dev/demo/corpus-cache.js';
import { startLocalStack } from '#dev/local-stack.js';
import { streamAudio } from '#client/stream-audio.js';
import { machine, table } from './support.js';

/**
 * bench:service — the same recordings through gateway + transcriber against the bare engine decoding
 * them in parallel processes on the same cores, side by side in one run. Aggregate RTFx = audio
 * seconds / wall seconds. The sample calls have a ring, pauses between turns and a hold, as real
 * calls do: the service's VAD sends only speech to the engine.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSES = Number(process.env['PASSES'] ?? 2);
const cores = availableParallelism();

const dir = join(tmpdir(), 'callscribe-bench-corpus');
const names = await ensureCorpus(dir, (m) => process.stderr.write(m + '\n'));
const files = Array.from({ length: PASSES }, () => names.map((n) => join(dir, n))).flat();

const bareOut = await run('/usr/bin/python3', [
  join(ROOT, 'bench', 'bare_sphinx.py'),
  join(ROOT, 'services', 'transcriber', 'worker'),
  String(cores),
  ...files,
]);
const bare = JSON.parse(bareOut.toString()) as { audioSec: number; wallSec: number; words: number };

const stack = await startLocalStack(['--workers', String(cores)]);
const client = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
let audioSec = 0;
let speechSec = 0;
let words = 0;
let wallSec = 0;
try {
  const audios = await Promise.all(files.map((f) => readFile(f)));
  // Warm-up: one request per worker, as the bare run loads its model before timing.
  await Promise.all(audios.slice(0, cores).map((a) => streamAudio((o) => client.streamTranscribe(o), a)));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: cores * 2 }, async () => {
      for (let i = next++; i < audios.length; i = next++) {
        const r = await streamAudio((o) => client.streamTranscribe(o), audios[i] as Buffer, { deadlineMs: 600_000 });
        audioSec += r.final.audioDurationSec;
        speechSec += r.final.speechSec;
        words += r.final.transcript.split(' ').filter((w) => w !== '').length;
      }
    }),
  );
  wallSec = (performance.now() - t0) / 1000;
} finally {
  client.close();
  await stack.stop();
}
process.stdout.write(
  `bench:service on ${machine()}: ${files.length} recordings (${audioSec.toFixed(0)} s of audio), ${cores} engine processes each side\n\n`,
);
process.stdout.write(
  table(
    ['path', 'audio s', 'audio sent to engine s', 'wall s', 'aggregate RTFx', 'words out'],
    [
      [
        `bare pocketsphinx, ${cores} processes, whole files`,
        bare.audioSec.toFixed(1),
        bare.audioSec.toFixed(1),
        bare.wallSec.toFixed(2),
        (bare.audioSec / bare.wallSec).toFixed(2),
        bare.words,
      ],
      [
        `callscribe gateway + transcriber (${cores} workers)`,
        audioSec.toFixed(1),
        speechSec.toFixed(1),
        wallSec.toFixed(2),
        (audioSec / wallSec).toFixed(2),
        words,
      ],
    ],
  ) + '\n\n',
);
process.stdout.write(`service / bare RTFx: ${(audioSec / wallSec / (bare.audioSec / bare.wallSec)).toFixed(2)}\n`);
