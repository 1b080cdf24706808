import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAudio } from '#dev/corpus/espeak.js';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { startLocalStack } from '#dev/local-stack.js';
import { finished, machine, measure, percentile, report, setting, sized, table } from './support.js';

/**
 * bench:loadgen — what one loadgen process sustains. Part 1 (capacity): live calls paced at real
 * time (8 kHz mu-law silence, CHUNK_BYTES per message: 1 s by default) arriving at RATE/s for SECONDS, so about
 * RATE x CALL_SEC streams are open at once through the real gateway and transcriber (silence keeps
 * the engine idle). Part 2 (timing accuracy): open-loop requests of 1 s of silence at 100/s.
 * Lateness = how long after its scheduled time a request was launched.
 */
const RATE = setting('RATE', 30, 2);
const CHUNK_BYTES = setting('CHUNK_BYTES', 8000, 8000);
const CALL_SEC = setting('CALL_SEC', 10, 2);
const SECONDS = setting('SECONDS', 20, 2);
const TIMING_RATE = setting('TIMING_RATE', 100, 20);
// The loadgen's own progress lines carry figures too; a smoke run shows none.
const PROGRESS = sized<'auto' | 'off'>('auto', 'off');

async function silenceFolder(seconds: number, format: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-lgbench-'));
  const samples = new Float32Array(16000 * seconds);
  for (let i = 0; i < samples.length; i++) samples[i] = ((i * 7919) % 13) / 13 / 2000; // a faint line hum
  await writeAudio(join(dir, 'silence.wav'), [samples], format);
  return dir;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1] ?? NaN };
};

// The loadgen is measured here, not admission: no limit may refuse its one client's streams.
const stack = await startLocalStack(
  ['--workers', '1', '--max-queued-audio-sec', '10000000', '--max-concurrent-requests', '100000'],
  ['--max-concurrent-requests', '100000', '--max-requests-per-client', '0'],
);
const out = mkdtempSync(join(tmpdir(), 'callscribe-lgbench-out-'));
const rows: Array<Array<string | number>> = [];
try {
  const live = await silenceFolder(CALL_SEC, ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '1']);
  let result!: Awaited<ReturnType<typeof runLoadTest>>;
  const m = await measure(async () => {
    result = await runLoadTest(
      defaultRunConfig({
        source: live,
        target: stack.gatewayAddress,
        rate: RATE,
        arrival: 'constant',
        durationSec: SECONDS,
        pace: 'realtime',
        chunkBytes: CHUNK_BYTES,
        out,
        runId: 'capacity',
        progress: PROGRESS,
        statsIntervalMs: 1000,
      }),
      () => {},
    );
  });
  const s = result.summaries[0];
  const requests = s?.requests ?? 0;
  const messages = requests * Math.ceil((8000 * CALL_SEC) / CHUNK_BYTES);
  const l = stats(result.latenessMs[0] ?? []);
  rows.push([
    `live calls: ${RATE}/s x ${CALL_SEC} s paced`,
    requests,
    s?.errors ?? 0,
    result.peakInFlight[0] ?? 0,
    (messages / (m.wallMs / 1000)).toFixed(0),
    ((m.cpuMs / m.wallMs) * 100).toFixed(0),
    (m.cpuMs / Math.max(1, requests) / CALL_SEC).toFixed(3),
    l.p50.toFixed(2),
    l.p99.toFixed(2),
    l.max.toFixed(2),
  ]);

  const short = await silenceFolder(1, ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '1']);
  let timing!: Awaited<ReturnType<typeof runLoadTest>>;
  const m2 = await measure(async () => {
    timing = await runLoadTest(
      defaultRunConfig({
        source: short,
        target: stack.gatewayAddress,
        rate: TIMING_RATE,
        arrival: 'poisson',
        durationSec: SECONDS,
        out,
        runId: 'timing',
        progress: PROGRESS,
      }),
      () => {},
    );
  });
  const t = timing.summaries[0];
  const l2 = stats(timing.latenessMs[0] ?? []);
  rows.push([
    `open loop: ${TIMING_RATE}/s Poisson, 1 s silence`,
    t?.requests ?? 0,
    t?.errors ?? 0,
    timing.peakInFlight[0] ?? 0,
    (((t?.requests ?? 0) * 5) / (m2.wallMs / 1000)).toFixed(0),
    ((m2.cpuMs / m2.wallMs) * 100).toFixed(0),
    '-',
    l2.p50.toFixed(2),
    l2.p99.toFixed(2),
    l2.max.toFixed(2),
  ]);
  report(`bench:loadgen on ${machine()}; loadgen, gateway and transcriber share the cores\n\n`);
  report(
    table(
      [
        'run',
        'requests',
        'errors',
        'peak streams open',
        'audio messages/s',
        'loadgen CPU %',
        'loadgen CPU ms per stream-second',
        'lateness p50 ms',
        'lateness p99 ms',
        'lateness max ms',
      ],
      rows,
    ) + '\n\n',
  );
  report(
    `timing accuracy p99.9: ${l2.p999.toFixed(2)} ms; capacity-run server p50 latency after audio end: ${s?.latency.p50.toFixed(0)} ms from intended start\n`,
  );
} finally {
  await stack.stop();
}
finished();
