import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = {
  transcriber: `${ROOT}dist/services/transcriber/src/main.js`,
  gateway: `${ROOT}dist/services/gateway/src/main.js`,
  cli: `${ROOT}dist/services/cli/src/main.js`,
  loadgen: `${ROOT}dist/loadgen/src/main.js`,
};

export interface Started {
  child: ChildProcess;
  address: string;
  output(): string;
}

/** Starts a binary and resolves with the address it logged as "listening on host:port". */
export function startBinary(path: string, args: string[], timeoutMs = 60_000): Promise<Started> {
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
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

export function runBinary(path: string, args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function stopBinary(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) resolve(s.child.exitCode);
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}
