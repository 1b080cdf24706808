import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SMOKE_MARKER } from '../bench/support.js';

/**
 * Every `bench:*` script in package.json, run for real with BENCH_SMOKE=1, one at a time: a bench
 * nobody runs rots (bench:service once broke on a worker change and no test noticed). The list comes
 * from package.json, so a new bench is covered the day it is added, and one without a smoke mode
 * fails here by running past the limit.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT_MS = 90_000;

const scripts = Object.entries(
  (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts,
).filter(([name]) => name.startsWith('bench:'));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** `node dist/bench/x.js` runs as is (no npm in between to outlive a kill); anything else through npm. */
function runSmoke(name: string, command: string): Promise<Finished> {
  const direct = /^node (\S+\.js)$/.exec(command.trim());
  const [cmd, args] = direct !== null ? [process.execPath, [direct[1] as string]] : ['npm', ['run', '--silent', name]];
  // Its own process group, so a timeout stops the stack and workers it started along with it.
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, LIMIT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

describe('benches under BENCH_SMOKE=1', () => {
  it('finds the bench scripts in package.json', () => {
    assert.ok(scripts.length >= 10, `only ${scripts.length} bench:* scripts found`);
  });

  for (const [name, command] of scripts)
    it(`npm run ${name} exits 0 and prints the smoke marker`, { timeout: LIMIT_MS + 30_000 }, async () => {
      const r = await runSmoke(name, command);
      const tail = `\n--- stdout ---\n${r.stdout.slice(-2000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
      assert.ok(
        !r.timedOut,
        `${name} ran past ${LIMIT_MS / 1000} s with BENCH_SMOKE=1: give it a smoke size (setting()/sized() in bench/support.ts)${tail}`,
      );
      assert.equal(r.code, 0, `${name} exited with ${r.code ?? r.signal}${tail}`);
      assert.ok(
        r.stdout.includes(SMOKE_MARKER),
        `${name} exited 0 without printing "${SMOKE_MARKER}": end it with finished() from bench/support.ts${tail}`,
      );
      // A smoke run's figures mean nothing, so none may look like a result (report() keeps them back).
      assert.doesNotMatch(r.stdout, /^\| /m, `${name} printed a table in a smoke run: write it with report()${tail}`);
    });
});
