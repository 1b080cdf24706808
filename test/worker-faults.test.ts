import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkHealth } from '#common/health-check.js';
import { transcriberStats, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker faults: a worker that cannot start again is given up on, with the reason', () => {
  it('stops restarting after repeated failed starts and reports NOT_SERVING with why', {
    timeout: 120_000,
  }, async () => {
    // The interpreter starts the worker once, then refuses (as a machine whose GPU fell off the bus
    // would): the real pool must stop retrying instead of looping for ever.
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-faults-'));
    const python = join(dir, 'python-once');
    writeFileSync(
      python,
      `#!/bin/sh\nif [ -e "${dir}/started" ]; then echo "device lost" >&2; exit 3; fi\ntouch "${dir}/started"\nexec /usr/bin/python3 "$@"\n`,
    );
    chmodSync(python, 0o755);
    const stack = await startStack({ workers: 1, pythonPath: python, diarizer: 'none' });
    try {
      const before = await transcriberStats(stack);
      assert.equal(before.notServingReason, '');
      const pid = before.workers[0]?.pid ?? 0;
      assert.ok(pid > 0);
      process.kill(pid, 'SIGKILL');
      let stats = before;
      for (let i = 0; i < 400 && stats.workers[0]?.state !== 'failed'; i++) {
        await sleep(50);
        stats = await transcriberStats(stack);
      }
      assert.equal(stats.workers[0]?.state, 'failed', JSON.stringify(stats.workers));
      assert.match(stats.notServingReason, /no worker can start/);
      // The health loop runs each second.
      let health = '';
      for (let i = 0; i < 60 && health !== 'NOT_SERVING'; i++) {
        await sleep(100);
        health = await checkHealth(stack.transcriber.address);
      }
      assert.equal(health, 'NOT_SERVING');
      const restarts = stats.workers[0]?.restarts;
      await sleep(1500);
      assert.equal((await transcriberStats(stack)).workers[0]?.restarts, restarts, 'no restart after giving up');
    } finally {
      await stack.stop();
    }
  });
});
