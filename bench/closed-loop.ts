import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAudio } from '#dev/corpus/espeak.js';
import { percentile } from './support.js';

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
async function closedLoopRound(
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

export interface ArmSummary {
  name: string;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  /** Requests per second of the arm's own rounds. */
  rps: number;
}

/**
 * Side-by-side comparison in one run: every arm is warmed once (connections, JIT), then the arms take
 * turns, `rounds` times, so load on a shared machine falls on all of them alike.
 */
export async function alternateArms(
  arms: Array<{ name: string; send: () => Promise<unknown> }>,
  rounds: number,
  concurrency: number,
  perRound: number,
): Promise<ArmSummary[]> {
  const runs = arms.map(() => ({ latencies: [] as number[], wallMs: 0 }));
  for (const arm of arms) await closedLoopRound(arm.send, [], concurrency, perRound);
  for (let r = 0; r < rounds; r++)
    for (const [i, arm] of arms.entries()) {
      const run = runs[i] as (typeof runs)[number];
      run.wallMs += await closedLoopRound(arm.send, run.latencies, concurrency, perRound);
    }
  return arms.map((arm, i) => {
    const { latencies, wallMs } = runs[i] as (typeof runs)[number];
    const sorted = [...latencies].sort((x, y) => x - y);
    return {
      name: arm.name,
      requests: latencies.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      rps: latencies.length / (wallMs / 1000),
    };
  });
}
