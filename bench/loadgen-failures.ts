import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAudio, speak } from '#dev/corpus/espeak.js';
import { defaultRunConfig, type RunConfig } from '../loadgen/src/config.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { waitUntilServing } from '#common/health-check.js';
import { finished, machine, report, setting, sized, table } from './support.js';

/**
 * bench:loadgen-failures — how the loadgen behaves when the target is broken. Part 1: nothing
 * listens at --target (default settings vs. no preflight, no abort rule, no back-off: the old
 * behaviour). Part 2: the gateway is up but its transcriber is down, for SECONDS at concurrency 4,
 * with the default back-off and without.
 */
const SECONDS = setting('SECONDS', 10, 1);
const DEAD_SEC = sized(2, 1);
const quiet = () => {};
const OLD: Partial<RunConfig> = { preflight: false, abortErrorRate: 1, backoffMaxMs: 0 };

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const source = mkdtempSync(join(tmpdir(), 'callscribe-failbench-'));
await writeAudio(
  join(source, 'call.wav'),
  [await speak('Hello, I would like to check my balance.', 'en-us+f2')],
  ['-t', 'wav', '-r', '16000', '-c', '1', '-b', '16'],
);
const out = mkdtempSync(join(tmpdir(), 'callscribe-failbench-out-'));
const rows: Array<Array<string | number>> = [];

async function timed(name: string, config: RunConfig): Promise<void> {
  const t0 = Date.now();
  try {
    const r = await runLoadTest(config, quiet);
    const failed = r.summaries.reduce((n, s) => n + s.errors, 0);
    const sec = (Date.now() - t0) / 1000;
    rows.push([
      name,
      r.exitCode,
      r.csvRows,
      failed,
      sec.toFixed(2),
      (failed / sec).toFixed(1),
      r.aborted === undefined ? '-' : 'aborted',
    ]);
  } catch (err: unknown) {
    rows.push([
      name,
      `thrown: ${(err as Error).name}`,
      0,
      0,
      ((Date.now() - t0) / 1000).toFixed(2),
      '0',
      (err as Error).message.slice(0, 60),
    ]);
  }
}

const dead = `127.0.0.1:${await deadPort()}`;
await timed(
  'dead target, defaults',
  defaultRunConfig({
    source,
    target: dead,
    durationSec: DEAD_SEC,
    concurrency: 4,
    out,
    progress: 'off',
    runId: 'dead-new',
  }),
);
await timed(
  'dead target, old behaviour',
  defaultRunConfig({
    source,
    target: dead,
    durationSec: DEAD_SEC,
    concurrency: 4,
    out,
    progress: 'off',
    runId: 'dead-old',
    ...OLD,
  }),
);

const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']);
const gateway = await startBinary(BIN.gateway, ['--listen', '127.0.0.1:0', '--transcriber', transcriber.address]);
await waitUntilServing(gateway.address, 30_000);
await stopBinary(transcriber);
try {
  const base = {
    source,
    target: gateway.address,
    durationSec: SECONDS,
    concurrency: 4,
    out,
    progress: 'off' as const,
    preflight: false,
    abortErrorRate: 1,
  };
  await timed(
    `transcriber down ${SECONDS} s, back-off (default)`,
    defaultRunConfig({ ...base, runId: 'down-backoff' }),
  );
  await timed(
    `transcriber down ${SECONDS} s, no back-off`,
    defaultRunConfig({ ...base, runId: 'down-old', backoffMaxMs: 0 }),
  );
} finally {
  await stopBinary(gateway);
}
report(`${machine()}\n\n${table(['run', 'exit', 'CSV rows', 'failed', 'wall s', 'failed/s', 'note'], rows)}\n`);
finished();
