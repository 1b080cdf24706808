import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { parseCudaVisibleDevices, parseNvidiaSmiList, type VisibleGpu } from './gpu-assignment.js';

// `nvidia-smi -L` initialises the driver on its first call after boot, which can take seconds.
const LIST_TIMEOUT_MS = 30_000;

/**
 * The GPUs this process may hand to workers: the parent's CUDA_VISIBLE_DEVICES when set (the
 * operator or container runtime already chose), else every device `nvidia-smi -L` lists, else none
 * (no driver, no nvidia-smi: the workers run on CPU).
 */
export async function visibleGpus(nvidiaSmiPath: string, env = process.env): Promise<VisibleGpu[]> {
  const fromEnv = parseCudaVisibleDevices(env['CUDA_VISIBLE_DEVICES']);
  if (fromEnv !== undefined) return fromEnv;
  try {
    const { stdout } = await promisify(execFile)(nvidiaSmiPath, ['-L'], { timeout: LIST_TIMEOUT_MS });
    return parseNvidiaSmiList(stdout);
  } catch {
    return [];
  }
}

/** The same answer, blocking, for `--help` (which prints and exits, so there is nothing to block). */
export function visibleGpusSync(nvidiaSmiPath: string, env = process.env): VisibleGpu[] {
  const fromEnv = parseCudaVisibleDevices(env['CUDA_VISIBLE_DEVICES']);
  if (fromEnv !== undefined) return fromEnv;
  try {
    return parseNvidiaSmiList(
      execFileSync(nvidiaSmiPath, ['-L'], { timeout: 5_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
  } catch {
    return [];
  }
}
