import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WorkerCrashedError, WorkerProcess } from '../services/transcriber/src/engine/worker-process.js';

const PYTHON = process.env['CALLSCRIBE_PYTHON'] ?? '/usr/bin/python3';
const WORKER_DIR = fileURLToPath(new URL('../../services/transcriber/worker', import.meta.url));

/**
 * An interpreter that runs the real worker but, on the way out, replaces `find` in its frames with
 * `put` (same length, so the framing stays whole and only the header's content breaks the protocol).
 */
function corruptingPython(find: string, put: string): string {
  assert.equal(find.length, put.length);
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-protocol-'));
  writeFileSync(
    join(dir, 'relay.py'),
    [
      'import os, subprocess, sys',
      'worker = subprocess.Popen([sys.executable] + sys.argv[1:], stdout=subprocess.PIPE)',
      'while chunk := worker.stdout.read1(1 << 16):',
      `    os.write(1, chunk.replace(${JSON.stringify(find)}.encode(), ${JSON.stringify(put)}.encode()))`,
      '',
    ].join('\n'),
  );
  const python = join(dir, 'python');
  writeFileSync(python, `#!/bin/sh\nexec ${PYTHON} ${join(dir, 'relay.py')} "$@"\n`);
  chmodSync(python, 0o755);
  return python;
}

const start = (pythonPath: string) =>
  WorkerProcess.start({ pythonPath, workerDir: WORKER_DIR, backend: 'sphinx', startTimeoutMs: 30_000 });

describe('worker protocol: a header that does not fit the description is a protocol violation', () => {
  it('fails the start of a worker whose ready frame has a field of the wrong type, naming it', async () => {
    await assert.rejects(
      start(corruptingPython('"gpu":""', '"gpu":0 ')),
      (e: unknown) =>
        e instanceof WorkerCrashedError && /protocol error: .*ready\.engine\.gpu should be a string/.test(e.message),
    );
  });

  it('kills a worker whose result has a field of the wrong type; its batch fails as a crash', async () => {
    const worker = await start(corruptingPython('"aligned":false', '"aligned":12345'));
    const exited = new Promise<string>((r) => worker.onExit(r));
    // An empty chunk is answered without the engine: {"segments": [], ..., "aligned": false} (no words).
    await assert.rejects(
      worker.run({
        wordTimestamps: true,
        items: [{ audio: new Float32Array(0), language: 'en', prompt: '', temperature: 0 }],
      }),
      (e: unknown) =>
        e instanceof WorkerCrashedError && /result\.items\[0\]\.aligned should be a boolean/.test(e.message),
    );
    assert.match(await exited, /protocol error/);
    assert.equal(worker.exited, true);
  });

  it('serves normally through the same relay when nothing is replaced', async () => {
    const worker = await start(corruptingPython('"no such text"', '"no such text"'));
    try {
      const result = await worker.run({
        wordTimestamps: true,
        items: [{ audio: new Float32Array(0), language: 'en', prompt: '', temperature: 0 }],
      });
      assert.deepEqual(result.items, [{ ok: true, segments: [], language: 'en', aligned: false }]);
    } finally {
      await worker.stop(5000);
    }
  });
});
