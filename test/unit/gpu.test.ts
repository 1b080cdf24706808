import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignGpus,
  parseCudaVisibleDevices,
  parseNvidiaSmiList,
} from '../../services/transcriber/src/gpu/gpu-assignment.js';
import { createGpuReader, parseNvidiaSmiCsv } from '../../services/transcriber/src/gpu/gpu-stats.js';

const MIB = 1024 * 1024;

describe('gpu stats: nvidia-smi --query-gpu rows', () => {
  it('reads every GPU of a multi-GPU host', () => {
    const rows = parseNvidiaSmiCsv(
      [
        '0, GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c, NVIDIA H100 80GB HBM3, 37, 20123, 81559',
        '1, GPU-9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4, NVIDIA H100 80GB HBM3, 0, 4, 81559',
        '',
      ].join('\n'),
    );
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      index: 0,
      uuid: 'GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c',
      name: 'NVIDIA H100 80GB HBM3',
      utilizationPct: 37,
      memoryUsedBytes: 20123 * MIB,
      memoryTotalBytes: 81559 * MIB,
    });
    assert.equal(rows[1]?.utilizationPct, 0); // a real 0 stays 0
  });

  it('leaves [N/A] and [Not Supported] fields out instead of NaN or 0 (MIG, vGPU)', () => {
    const rows = parseNvidiaSmiCsv(
      [
        '0, GPU-3f2e1d0c-b9a8-4c7d-8e6f-5a4b3c2d1e0f, NVIDIA A100-SXM4-40GB, [N/A], 13, 40960',
        '1, GPU-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0, GRID T4-16Q, [Not Supported], [N/A], [N/A]',
      ].join('\n'),
    );
    assert.equal(rows.length, 2);
    assert.ok(!('utilizationPct' in (rows[0] ?? {})));
    assert.equal(rows[0]?.memoryUsedBytes, 13 * MIB);
    assert.deepEqual(rows[1], { index: 1, uuid: 'GPU-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', name: 'GRID T4-16Q' });
  });

  it('skips lines that are not rows and keeps commas inside a name', () => {
    const rows = parseNvidiaSmiCsv(
      'WARNING: infoROM is corrupted at gpu 0000:41:00.0\n2, GPU-aa, Tesla V100, PCIe, 5, 100, 16000\n',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.name, 'Tesla V100, PCIe');
    assert.equal(rows[0]?.utilizationPct, 5);
  });

  it('answers at once, without a GPU, and says why', async () => {
    const read = createGpuReader('/nonexistent/nvidia-smi', 0);
    const started = Date.now();
    const first = await read();
    assert.ok(Date.now() - started < 100);
    assert.equal(first.available, false);
    await new Promise((r) => setTimeout(r, 200));
    const later = await read();
    assert.equal(later.available, false);
    assert.match(later.reason, /nvidia-smi not found/);
  });
});

describe('gpu assignment: one worker per GPU, pinned with CUDA_VISIBLE_DEVICES', () => {
  const smiL = [
    'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c)',
    'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-3f2e1d0c-b9a8-4c7d-8e6f-5a4b3c2d1e0f)',
    '  MIG 3g.20gb     Device  0: (UUID: MIG-5c4b3a29-1807-5f6e-9d8c-7b6a5f4e3d2c)',
    '  MIG 3g.20gb     Device  1: (UUID: MIG-6d5c4b3a-2918-5a7f-8e9d-8c7b6a5f4e3d)',
  ].join('\n');

  it('parses nvidia-smi -L, listing MIG instances in place of their GPU', () => {
    const gpus = parseNvidiaSmiList(smiL);
    assert.deepEqual(
      gpus.map((g) => g.id),
      [
        'GPU-1c2f5a9e-7d3b-4b1a-9c8e-2f6a1d3e4b5c',
        'MIG-5c4b3a29-1807-5f6e-9d8c-7b6a5f4e3d2c',
        'MIG-6d5c4b3a-2918-5a7f-8e9d-8c7b6a5f4e3d',
      ],
    );
    assert.equal(gpus[0]?.label, 'GPU 0: NVIDIA H100 80GB HBM3');
    assert.match(gpus[1]?.label ?? '', /MIG 3g\.20gb device 0 on GPU 1/);
  });

  it('reads a parent CUDA_VISIBLE_DEVICES', () => {
    assert.equal(parseCudaVisibleDevices(undefined), undefined);
    assert.deepEqual(
      parseCudaVisibleDevices('2,3')?.map((g) => g.id),
      ['2', '3'],
    );
    assert.deepEqual(
      parseCudaVisibleDevices(' GPU-aa , MIG-bb')?.map((g) => g.id),
      ['GPU-aa', 'MIG-bb'],
    );
    assert.deepEqual(parseCudaVisibleDevices(''), []);
    assert.deepEqual(parseCudaVisibleDevices('-1'), []);
    assert.deepEqual(
      parseCudaVisibleDevices('0,-1,1')?.map((g) => g.id),
      ['0'],
    );
  });

  it('gives each visible GPU one worker by default', () => {
    const a = assignGpus(0, parseCudaVisibleDevices('2,3') ?? []);
    assert.deepEqual(
      a.workers.map((w) => w.cudaVisibleDevices),
      ['2', '3'],
    );
    assert.match(a.description, /^2 workers on 2 GPUs: worker 0 -> GPU 2; worker 1 -> GPU 3$/);
  });

  it('spreads extra workers round-robin and says so', () => {
    const a = assignGpus(5, parseCudaVisibleDevices('0,1') ?? []);
    assert.deepEqual(
      a.workers.map((w) => w.cudaVisibleDevices),
      ['0', '1', '0', '1', '0'],
    );
    assert.match(a.description, /5 workers on 2 GPUs, up to 3 per GPU/);
    const fewer = assignGpus(1, parseNvidiaSmiList(smiL));
    assert.match(fewer.description, /2 visible GPUs unused/);
  });

  it('falls back to CPU when no GPU is visible', () => {
    const a = assignGpus(0, []);
    assert.deepEqual(a.workers, [{ worker: 0, cudaVisibleDevices: '', label: 'CPU (no GPU visible)' }]);
    assert.match(a.description, /no GPU visible/);
    assert.throws(() => assignGpus(-1, []), RangeError);
  });
});
