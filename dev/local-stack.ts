import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntilServing } from '#common/health-check.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = {
  transcriber: `${ROOT}dist/services/transcriber/src/main.js`,
  gateway: `${ROOT}dist/services/gateway/src/main.js`,
  cli: `${ROOT}dist/services/cli/src/main.js`,
  loadgen: `${ROOT}dist/loadgen/src/main.js`,
};

export interface StartedBinary {
  child: ChildProcess;
  address: string;
  output(): string;
}

const running = new Set<ChildProcess>();
let guarded = false;

/**
 * A bench or demo ended by SIGTERM (`timeout`, a CI runner, `kill`) would otherwise leave the servers
 * it started running, holding ports and cores; Ctrl-C reaches the whole process group and needs none
 * of this. Installed once, when the first binary starts.
 */
function stopChildrenWithUs(): void {
  if (guarded) return;
  guarded = true;
  const stopAll = () => {
    for (const child of running) child.kill('SIGTERM');
  };
  process.once('exit', stopAll);
  process.once('SIGTERM', () => {
    stopAll();
    process.exit(128 + 15);
  });
}

/** Starts a callscribe binary and resolves with the address it logged as "listening on host:port". */
export function startBinary(
  path: string,
  args: string[],
  timeoutMs = 120_000,
  nodeArgs: string[] = [],
): Promise<StartedBinary> {
  stopChildrenWithUs();
  const child = spawn(process.execPath, [...nodeArgs, path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  // 'close', not 'exit': stopBinary replaces the 'exit' listeners.
  child.once('close', () => running.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = /listening on (\S+:\d+)/.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, address: m[1] as string, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path} exited with ${code}:\n${output}`));
    });
  });
}

export function stopBinary(s: StartedBinary): Promise<number | null> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) {
      resolve(s.child.exitCode);
      return;
    }
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

export interface LocalStack {
  gatewayAddress: string;
  transcriberAddress: string;
  /** For reading each process's memory (bench:overload). */
  transcriberPid: number;
  gatewayPid: number;
  stop(): Promise<void>;
}

/** Transcriber and gateway as real processes on ephemeral loopback ports, healthy when returned. */
export async function startLocalStack(transcriberArgs: string[] = [], gatewayArgs: string[] = []): Promise<LocalStack> {
  const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', ...transcriberArgs]);
  const gateway = await startBinary(BIN.gateway, [
    '--listen',
    '127.0.0.1:0',
    '--transcriber',
    transcriber.address,
    ...gatewayArgs,
  ]).catch(async (err: unknown) => {
    await stopBinary(transcriber);
    throw err;
  });
  await waitUntilServing(gateway.address, 30_000);
  return {
    gatewayAddress: gateway.address,
    transcriberAddress: transcriber.address,
    transcriberPid: transcriber.child.pid ?? 0,
    gatewayPid: gateway.child.pid ?? 0,
    async stop() {
      await stopBinary(gateway);
      await stopBinary(transcriber);
    },
  };
}
