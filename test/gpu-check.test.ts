import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * scripts/gpu-check.sh cannot produce figures without torch and a GPU. What can be checked here: it
 * refuses clearly (exit 2, a message naming what is missing) on a machine that lacks them, and its
 * harness (bench/gpu-check.ts) runs every step, worker start to the poisoned item, with the CPU engine.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/gpu-check.sh');
const run = promisify(execFile);

async function gpuCheck(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run('bash', [SCRIPT, join(mkdtempSync(join(tmpdir(), 'gpu-check-')), 'out.json')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: err.code ?? -1, stderr: err.stderr ?? '' };
  }
}

/** A Python that cannot import torch, even on a machine where it is installed. */
function pythonWithoutTorch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'no-torch-'));
  mkdirSync(join(dir, 'torch'));
  writeFileSync(
    join(dir, 'torch', '__init__.py'),
    'raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n',
  );
  const wrapper = join(dir, 'python3');
  writeFileSync(wrapper, `#!/bin/sh\nPYTHONPATH=${dir} exec /usr/bin/python3 "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

describe('scripts/gpu-check.sh', () => {
  it('exits 2 and names torch when the Python cannot import it', async () => {
    const r = await gpuCheck({ PYTHON: pythonWithoutTorch() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot import torch and transformers \(ModuleNotFoundError: No module named 'torch'\)/);
    assert.match(r.stderr, /pip install torch transformers/);
    assert.doesNotMatch(r.stderr, /Traceback/);
  });

  it('exits 2 and says how to point at Node when there is none', async () => {
    const r = await gpuCheck({ NODE: '/nonexistent/node' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Node at '\/nonexistent\/node'; set NODE=/);
  });

  it('its harness runs every step with the CPU engine and writes one JSON file', { timeout: 180_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gpu-check-')), 'out.json');
    await run(process.execPath, [join(ROOT, 'dist/bench/gpu-check.js'), out], {
      cwd: ROOT,
      env: { ...process.env, GPU_CHECK_SMOKE: '1', GPU_CHECK_BACKEND: 'sphinx', CALLSCRIBE_PYTHON: '/usr/bin/python3' },
    });
    const result = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(result.smoke, true);
    assert.equal(result.engine.backend, 'sphinx');
    assert.ok(result.workerStartMs > 0);
    assert.deepEqual(
      result.decode.map((d: { batch: number }) => d.batch),
      [1, 2],
    );
    for (const d of result.decode) assert.ok(d.runsMs.length === 1 && d.runsMs[0] > 0, JSON.stringify(d));
    assert.equal(result.crossRequest.on.batchSize, 2);
    assert.equal(result.crossRequest.off.batchSize, 1);
    assert.ok(
      result.crossRequest.on.segments > 0 && result.crossRequest.off.segments > 0,
      JSON.stringify(result.crossRequest),
    );
    assert.deepEqual(result.errors, []);
    assert.equal(result.crossRequest.on.failedRequests, 0);
    assert.equal(result.poisonedItem.pass, true, JSON.stringify(result.poisonedItem));
    assert.match(result.poisonedItem.poisonedAnswer, /^invalid_argument: /);
    assert.match(result.model, /harness check, not a GPU figure/);
  });
});
