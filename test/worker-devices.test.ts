import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assignGpus } from '../services/transcriber/src/gpu/gpu-assignment.js';
import { visibleGpus } from '../services/transcriber/src/gpu/gpu-discovery.js';
import { WorkerPool } from '../services/transcriber/src/engine/worker-pool.js';

const WORKER_DIR = fileURLToPath(new URL('../../services/transcriber/worker', import.meta.url));
const TRANSCRIBER = fileURLToPath(new URL('../services/transcriber/src/main.js', import.meta.url));
// What `nvidia-smi -L` prints on a two-GPU host, the second in MIG mode.
const SMI_LIST = [
  'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c)',
  'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-3f2e1d0c-b9a8-4c7d-8e6f-5a4b3c2d1e0f)',
  '  MIG 3g.20gb     Device  0: (UUID: MIG-0a1b2c3d-4e5f-6789-abcd-ef0123456789)',
  '  MIG 3g.20gb     Device  1: (UUID: MIG-1a1b2c3d-4e5f-6789-abcd-ef0123456789)',
].join('\n');

/** The environment a live process was started with, from /proc. */
async function environOf(pid: number): Promise<Map<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  return new Map(
    raw.split('\0').flatMap((kv) => (kv.includes('=') ? [kv.split(/=(.*)/s, 2) as [string, string]] : [])),
  );
}

describe('GPU workers: one per visible device, each pinned with CUDA_VISIBLE_DEVICES', () => {
  let dir: string;
  let smi: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callscribe-smi-'));
    // nvidia-smi is the driver's tool, not ours; this host has no driver, so a script prints what a
    // two-GPU host's nvidia-smi -L prints.
    smi = join(dir, 'nvidia-smi');
    await writeFile(smi, `#!/bin/sh\n[ "$1" = "-L" ] || exit 9\ncat <<'EOF'\n${SMI_LIST}\nEOF\n`);
    await chmod(smi, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds the devices nvidia-smi lists, unless CUDA_VISIBLE_DEVICES already chose', async () => {
    const listed = await visibleGpus(smi, {});
    assert.deepEqual(
      listed.map((g) => g.id),
      [
        'GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c',
        'MIG-0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        'MIG-1a1b2c3d-4e5f-6789-abcd-ef0123456789',
      ],
    );
    assert.deepEqual(
      (await visibleGpus(smi, { CUDA_VISIBLE_DEVICES: '2,3' })).map((g) => g.id),
      ['2', '3'],
    );
    assert.deepEqual(await visibleGpus(join(dir, 'missing-nvidia-smi'), {}), [], 'no driver: no GPU, no throw');
  });

  it('starts each worker process with its own device in CUDA_VISIBLE_DEVICES and says so in its summary', async () => {
    const plan = assignGpus(0, await visibleGpus(smi, {}));
    assert.equal(plan.workers.length, 3);
    // sphinx ignores the variable, which is what lets this run here: the pinning is the pool's.
    const pool = new WorkerPool(
      plan.workers.length,
      { pythonPath: '/usr/bin/python3', workerDir: WORKER_DIR, backend: 'sphinx', startTimeoutMs: 60_000 },
      { devices: plan.workers },
    );
    try {
      await pool.start();
      const workers = pool.workers();
      for (const [i, w] of workers.entries()) {
        const env = await environOf(w.pid);
        assert.equal(env.get('CUDA_VISIBLE_DEVICES'), plan.workers[i]?.cudaVisibleDevices);
        assert.equal(w.cudaVisibleDevices, plan.workers[i]?.cudaVisibleDevices);
      }
      assert.deepEqual(
        workers.map((w) => w.device),
        ['GPU 0: NVIDIA H100 80GB HBM3', 'MIG 3g.20gb device 0 on GPU 1', 'MIG 3g.20gb device 1 on GPU 1'],
      );
    } finally {
      await pool.stop(2000);
    }
  });

  it('refuses a device list that does not match the worker count', () => {
    const spawn = { pythonPath: '/usr/bin/python3', workerDir: WORKER_DIR, backend: 'sphinx', startTimeoutMs: 1000 };
    assert.throws(
      () => new WorkerPool(2, spawn, { devices: [{ cudaVisibleDevices: '0', label: 'GPU 0' }] }),
      /2 workers but 1 devices/,
    );
  });

  it('--help names which worker would own which GPU on this host', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [TRANSCRIBER, '--help'], {
      env: { ...process.env, NVIDIA_SMI_PATH: smi, CUDA_VISIBLE_DEVICES: undefined, WORKERS: '4' },
    });
    assert.match(stdout, /one per visible GPU/);
    assert.match(stdout, /4 workers on 3 GPUs, up to 2 per GPU/);
    assert.match(stdout, /worker 0 -> GPU 0: NVIDIA H100 80GB HBM3; worker 1 -> MIG 3g\.20gb device 0 on GPU 1/);
    assert.match(stdout, /worker 3 -> GPU 0: NVIDIA H100 80GB HBM3/);
  });
});
