import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface BareRound {
  audioSec: number;
  wallSec: number;
  words: number;
}

export interface BareEngine {
  /** Decodes every file once, spread over the processes; resolves with the round's totals. */
  round(files: string[]): Promise<BareRound>;
  close(): Promise<void>;
}

/**
 * bench:service's baseline: bench/bare_sphinx.py as one long-lived pool of `processes` pocketsphinx
 * processes, models loaded and warmed on `warmUp` before this resolves, so its rounds can take turns
 * with the service's in one run.
 */
export async function startBareEngine(root: string, processes: number, warmUp: string[]): Promise<BareEngine> {
  const child = spawn(
    '/usr/bin/python3',
    [
      join(root, 'bench', 'bare_sphinx.py'),
      join(root, 'services', 'transcriber', 'worker'),
      String(processes),
      ...warmUp,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.on('close', (code) => reject(new Error(`bench/bare_sphinx.py exited (${code}): ${stderr.trim()}`))),
  );
  exited.catch(() => {});
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done === true) return exited;
    return line.value;
  };
  const ready = await nextLine();
  if (ready !== 'ready') {
    child.kill();
    throw new Error(`bench/bare_sphinx.py said ${JSON.stringify(ready)} instead of ready`);
  }
  return {
    async round(files) {
      child.stdin.write(`${JSON.stringify(files)}\n`);
      return JSON.parse(await nextLine()) as BareRound;
    },
    async close() {
      child.stdin.end();
      await exited.catch(() => {});
    },
  };
}
