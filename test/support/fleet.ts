import { credentials, Metadata } from '@grpc/grpc-js';
import type { TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { checkHealth } from '#common/health-check.js';
import { BIN, startBinary, stopBinary, type Started } from './processes.js';

/** One transcriber process that can be killed and started again on the same port. */
export interface FleetMember {
  readonly address: string;
  readonly process: Started | undefined;
  /** Sends the signal and resolves with the exit code once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
  stats(): Promise<TranscriberStats>;
  stop(): Promise<void>;
}

// A long grace: on a loaded CI machine one request can take tens of seconds, and a drain must not cut it.
const ARGS = ['--workers', '1', '--backend', 'sphinx', '--shutdown-grace-ms', '60000'];

export async function startFleetMember(listen = '127.0.0.1:0'): Promise<FleetMember> {
  let current: Started | undefined = await startBinary(BIN.transcriber, ['--listen', listen, ...ARGS]);
  const address = current.address;
  const client = new TranscriberClient(address, credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 500,
  });
  return {
    address,
    get process() {
      return current;
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      const p = current;
      current = undefined;
      if (p === undefined || p.child.exitCode !== null) return Promise.resolve(p?.child.exitCode ?? null);
      return new Promise((resolve) => {
        p.child.removeAllListeners('exit');
        p.child.once('exit', (code) => resolve(code));
        p.child.kill(signal);
      });
    },
    async restart() {
      current = await startBinary(BIN.transcriber, ['--listen', address, ...ARGS]);
    },
    stats: () =>
      new Promise((resolve, reject) =>
        client.getStats({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, s) =>
          err !== null ? reject(err) : resolve(s),
        ),
      ),
    async stop() {
      client.close();
      if (current !== undefined) await stopBinary(current);
      current = undefined;
    },
  };
}

export function startFleet(n: number): Promise<FleetMember[]> {
  return Promise.all(Array.from({ length: n }, () => startFleetMember()));
}

/** Polls a health check until it answers `want` (a connection error counts as NOT_SERVING). */
export async function waitForHealth(address: string, want: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const state = await checkHealth(address, '', 1000).catch(() => 'NOT_SERVING');
    if (state === want) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`${address} still ${state} after ${timeoutMs} ms (want ${want})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `check` holds, polling; fails with `what` after timeoutMs. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}
