import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAudio } from '#dev/corpus/espeak.js';

/**
 * 3 s of faint deterministic noise as 16 kHz WAV: the VAD rejects it, so a request costs the
 * services' own path (decode, VAD, framing) and no ASR, which is what the overhead benches compare.
 */
export async function noiseWav(): Promise<Buffer> {
  const samples = new Float32Array(3 * 16000);
  let seed = 7;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    samples[i] = ((seed / 0x7fffffff) * 2 - 1) * 0.001;
  }
  const path = join(mkdtempSync(join(tmpdir(), 'callscribe-bench-')), 'noise.wav');
  await writeAudio(path, [samples], ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1']);
  return readFile(path);
}

/** `perRound` requests with `concurrency` in flight; pushes each latency (ms), returns the round's wall ms. */
export async function closedLoopRound(
  send: () => Promise<unknown>,
  latencies: number[],
  concurrency: number,
  perRound: number,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < perRound) {
        const start = performance.now();
        await send();
        latencies.push(performance.now() - start);
      }
    }),
  );
  return performance.now() - t0;
}
