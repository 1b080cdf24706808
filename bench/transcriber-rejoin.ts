import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { streamAudio } from '#client/stream-audio.js';
import { checkHealth } from '#common/health-check.js';
import { configureLog } from '#common/log.js';
import { speak, writeAudio } from '#dev/corpus/espeak.js';
import { BIN, startBinary, stopBinary, type StartedBinary } from '#dev/local-stack.js';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway } from '../services/gateway/src/server.js';
import { finished, machine, progress, report, setting, table } from './support.js';

/**
 * bench:rejoin — how soon a gateway uses a transcriber that comes back. One gateway, one transcriber;
 * the transcriber is killed, stays down DOWN_SEC, and starts again on the same port. Measured from its
 * "listening on" line: until the gateway's health says SERVING, and until a request sent then (and
 * again every 50 ms while it fails) succeeds. Baseline: grpc-js's own reconnect back-off (1 s growing
 * 1.6x to 120 s: --reconnect-max-backoff-ms 120000), side by side with the gateway's default (1 s cap),
 * alternating within each round.
 */
configureLog({ level: 'error' });
const ROUNDS = setting('ROUNDS', 3, 1);
const DOWN_SEC = setting('DOWN_SEC', 20, 1);
const CAPS = [120_000, 1000];

const dir = mkdtempSync(join(tmpdir(), 'callscribe-rejoin-'));
await writeAudio(
  join(dir, 'short.wav'),
  [await speak('Hello, I am calling about my bill.')],
  ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
);
const audio = await readFile(join(dir, 'short.wav'));
const args = (listen: string) => ['--listen', listen, '--workers', '1', '--backend', 'sphinx'];

interface Rejoin {
  servingMs: number;
  /** When the first request that then succeeded was sent. */
  acceptedMs: number;
  firstOkMs: number;
}

async function once(capMs: number): Promise<Rejoin> {
  let transcriber: StartedBinary = await startBinary(BIN.transcriber, args('127.0.0.1:0'));
  const gateway = await startGateway(
    defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [transcriber.address], reconnectMaxBackoffMs: capMs }),
  );
  const client = new GatewayClient(gateway.address, credentials.createInsecure());
  try {
    await streamAudio((o) => client.streamTranscribe(o), audio, { deadlineMs: 60_000 });
    transcriber.child.kill('SIGKILL');
    await new Promise((r) => transcriber.child.once('exit', r));
    await new Promise((r) => setTimeout(r, DOWN_SEC * 1000));
    transcriber = await startBinary(BIN.transcriber, args(transcriber.address));
    const back = performance.now();
    let servingMs = Number.NaN;
    let firstOkMs = Number.NaN;
    let acceptedMs = Number.NaN;
    const serving = (async () => {
      while ((await checkHealth(gateway.address).catch(() => '')) !== 'SERVING')
        await new Promise((r) => setTimeout(r, 20));
      servingMs = performance.now() - back;
    })();
    for (;;) {
      acceptedMs = performance.now() - back;
      const ok = await streamAudio((o) => client.streamTranscribe(o), audio, { deadlineMs: 60_000 }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    firstOkMs = performance.now() - back;
    await serving;
    return { servingMs, acceptedMs, firstOkMs };
  } finally {
    client.close();
    await gateway.stop(1000);
    await stopBinary(transcriber);
  }
}

const results = new Map<number, Rejoin[]>();
for (let round = 0; round < ROUNDS; round++)
  for (const cap of CAPS) {
    const r = await once(cap);
    results.set(cap, [...(results.get(cap) ?? []), r]);
    progress(
      `round ${round + 1}, cap ${cap} ms: SERVING after ${r.servingMs.toFixed(0)} ms, first successful request sent after ${r.acceptedMs.toFixed(0)} ms, answered after ${r.firstOkMs.toFixed(0)} ms\n`,
    );
  }
const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
const base = results.get(CAPS[0] as number) ?? [];
report(`bench:rejoin — ${machine()}; ${ROUNDS} rounds, transcriber down ${DOWN_SEC} s\n`);
report(
  table(
    [
      'reconnect back-off',
      'gateway SERVING after (ms)',
      'vs grpc-js default (same round)',
      'first successful request sent after (ms)',
      'answered after (ms)',
    ],
    CAPS.map((cap) => {
      const rows = results.get(cap) ?? [];
      return [
        cap === 120_000 ? 'grpc-js default (1 s x1.6 up to 120 s)' : `capped at ${cap} ms`,
        range(rows.map((r) => r.servingMs)),
        range(
          rows.map((r, i) => r.servingMs / (base[i]?.servingMs ?? Number.NaN)),
          2,
        ),
        range(rows.map((r) => r.acceptedMs)),
        range(rows.map((r) => r.firstOkMs)),
      ];
    }),
  ) + '\n',
);
finished();
