import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { speak, writeAudio } from '#dev/corpus/espeak.js';
import { BIN, startBinary, stopBinary, type StartedBinary } from '#dev/local-stack.js';
import { waitUntilServing } from '#common/health-check.js';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { finished, machine, progress, report, setting, sized, SMOKE, table } from './support.js';

/**
 * bench:scale — capacity against the number of transcribers behind one gateway, on loopback. Each
 * transcriber is its own process with one sphinx worker; the loadgen keeps PER_TRANSCRIBER requests
 * in flight per transcriber (closed loop) for SECONDS. Counts are interleaved (1, 2, 3, 1, 2, 3, ...)
 * so a change in the machine's load falls on every count alike, and each round's ratio is against
 * the one-transcriber run of the same round.
 */
// Smoke: one and two transcribers, so the gateway's spread over several is on the path.
const COUNTS = (SMOKE ? '1,2' : (process.env['COUNTS'] ?? '1,2,3')).split(',').map(Number);
const ROUNDS = setting('ROUNDS', 3, 1);
const SECONDS = setting('SECONDS', 20, 3);
const PER_TRANSCRIBER = setting('PER_TRANSCRIBER', 2, 1);

async function corpus(): Promise<{ dir: string; audioSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-scale-'));
  const texts = sized(
    [
      'I would like to check the balance of my account please.',
      'I can see the second payment and I will send a refund today.',
      'Thank you for calling customer support. How can I help you today?',
    ],
    ['Check my balance, please.'],
  );
  let audioSec = 0;
  for (const [i, text] of texts.entries()) {
    const samples = await speak(text, i % 2 === 0 ? 'en-us+f2' : 'en-us+m3');
    audioSec += samples.length / 16000;
    await writeAudio(
      join(dir, `call-${i}.wav`),
      [samples],
      ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
    );
  }
  return { dir, audioSec: audioSec / texts.length };
}

async function runOnce(count: number, source: string, out: string, runId: string) {
  const transcribers: StartedBinary[] = [];
  let gateway: StartedBinary | undefined;
  try {
    for (const s of await Promise.all(
      Array.from({ length: count }, () =>
        startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1', '--backend', 'sphinx']),
      ),
    ))
      transcribers.push(s);
    gateway = await startBinary(BIN.gateway, [
      '--listen',
      '127.0.0.1:0',
      '--transcriber',
      transcribers.map((t) => t.address).join(','),
    ]);
    await waitUntilServing(gateway.address, 30_000);
    const result = await runLoadTest(
      defaultRunConfig({
        source,
        target: gateway.address,
        concurrency: PER_TRANSCRIBER * count,
        durationSec: SECONDS,
        warmup: count,
        out,
        runId,
        progress: 'off',
      }),
      () => {},
    );
    const s = result.summaries[0];
    if (s === undefined) throw new Error('no summary');
    return s;
  } finally {
    if (gateway !== undefined) await stopBinary(gateway);
    await Promise.all(transcribers.map(stopBinary));
  }
}

const { dir, audioSec } = await corpus();
const out = mkdtempSync(join(tmpdir(), 'callscribe-scale-out-'));
const results = new Map<
  number,
  Array<{ throughput: number; p50: number; rtfx: number; errors: number; ratio: number }>
>();
for (let round = 0; round < ROUNDS; round++) {
  let base = Number.NaN;
  for (const count of COUNTS) {
    const s = await runOnce(count, dir, out, `r${round}-t${count}`);
    if (count === COUNTS[0]) base = s.throughputRps;
    const row = {
      throughput: s.throughputRps,
      p50: s.latency.p50,
      rtfx: s.rtfx,
      errors: s.errors,
      ratio: s.throughputRps / base,
    };
    results.set(count, [...(results.get(count) ?? []), row]);
    progress(
      `round ${round + 1}: ${count} transcriber(s): ${row.throughput.toFixed(3)} req/s, p50 ${row.p50.toFixed(0)} ms, ${row.errors} errors\n`,
    );
  }
}
const range = (xs: number[], digits: number) => {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
};
report(
  `bench:scale — ${machine()}; ${ROUNDS} rounds, ${SECONDS} s each, ${PER_TRANSCRIBER} requests in flight per transcriber, ${audioSec.toFixed(1)} s recordings\n`,
);
report(
  table(
    [
      'transcribers',
      'requests/s',
      'x realtime (audio s per s)',
      'vs 1 transcriber (same round)',
      'latency p50 ms',
      'errors',
    ],
    [...results.entries()].map(([count, rows]) => [
      count,
      range(
        rows.map((r) => r.throughput),
        2,
      ),
      range(
        rows.map((r) => r.rtfx),
        1,
      ),
      range(
        rows.map((r) => r.ratio),
        2,
      ),
      range(
        rows.map((r) => r.p50),
        0,
      ),
      rows.reduce((n, r) => n + r.errors, 0),
    ]),
  ) + '\n',
);
finished();
