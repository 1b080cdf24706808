import { execFile } from 'node:child_process';
import type { GpuStats } from '#gen/callscribe/v1/stats.js';

const QUERY = ['--query-gpu=index,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];
const MIB = 1024 * 1024;

/**
 * Reads GPU utilisation and memory through nvidia-smi, at most every `cacheMs`. Without a GPU it
 * says so (available=false and why), never a row of zeros that would read as an idle GPU.
 */
export function createGpuReader(nvidiaSmiPath: string, cacheMs = 500): () => Promise<GpuStats> {
  let last: { at: number; stats: Promise<GpuStats> } | undefined;
  return () => {
    const now = Date.now();
    if (last !== undefined && now - last.at < cacheMs) return last.stats;
    last = { at: now, stats: read(nvidiaSmiPath) };
    return last.stats;
  };
}

function read(path: string): Promise<GpuStats> {
  return new Promise((resolve) => {
    execFile(path, QUERY, { timeout: 2000 }, (err, stdout) => {
      const sampledAtMs = Date.now();
      if (err !== null) {
        const reason =
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'no GPU: nvidia-smi not found'
            : `no GPU: nvidia-smi failed (${err.message.split('\n')[0]})`;
        resolve({ available: false, reason, devices: [], sampledAtMs });
        return;
      }
      const devices = stdout
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((line) => {
          const [index, name, util, used, total] = line.split(',').map((s) => s.trim());
          return {
            index: Number(index),
            name: name ?? '',
            utilizationPct: Number(util),
            memoryUsedBytes: Number(used) * MIB,
            memoryTotalBytes: Number(total) * MIB,
          };
        });
      resolve(
        devices.length === 0
          ? { available: false, reason: 'no GPU: nvidia-smi lists no device', devices, sampledAtMs }
          : { available: true, reason: '', devices, sampledAtMs },
      );
    });
  });
}
