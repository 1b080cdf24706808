/**
 * Which GPU each model worker gets. One worker per visible GPU by default, each pinned with
 * CUDA_VISIBLE_DEVICES so torch and CTranslate2 inside it see exactly one device (as their device 0).
 */

/** A device a worker can be pinned to: `id` goes into CUDA_VISIBLE_DEVICES as is. */
export interface VisibleGpu {
  id: string;
  /** For people: "GPU 0: NVIDIA H100 80GB HBM3", "MIG 1g.10gb on GPU 0". */
  label: string;
}

export interface WorkerGpu {
  worker: number;
  /** The value for the worker's CUDA_VISIBLE_DEVICES; "" hides every GPU (CPU). */
  cudaVisibleDevices: string;
  label: string;
}

export interface GpuAssignment {
  workers: WorkerGpu[];
  /** One line for logs and --help: how many workers on which devices. */
  description: string;
}

/**
 * The devices a parent's CUDA_VISIBLE_DEVICES allows: undefined when it is unset (every GPU is
 * visible: ask nvidia-smi), [] when it hides them all ("", "-1", "NoDevFiles"). Indices, GPU-
 * and MIG- UUIDs pass through unchanged, since each names a device to the driver on its own.
 */
export function parseCudaVisibleDevices(value: string | undefined): VisibleGpu[] | undefined {
  if (value === undefined) return undefined;
  const ids: string[] = [];
  for (const raw of value.split(',')) {
    const id = raw.trim();
    // CUDA stops at the first invalid entry ("-1" is the conventional way to hide every GPU).
    if (id === '' || id === 'NoDevFiles' || /^-\d+$/.test(id)) break;
    ids.push(id);
  }
  return ids.map((id) => ({ id, label: /^\d+$/.test(id) ? `GPU ${id}` : id }));
}

const GPU_LINE = /^GPU (\d+): (.*?) \(UUID: (GPU-[^)]+)\)\s*$/;
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)\s*$/;

/**
 * Devices from `nvidia-smi -L`, by UUID (indices there follow PCI order, which need not be CUDA's).
 * A GPU in MIG mode is listed by its MIG instances, since CUDA cannot use the parent itself.
 */
export function parseNvidiaSmiList(stdout: string): VisibleGpu[] {
  const gpus: Array<VisibleGpu & { migs: VisibleGpu[] }> = [];
  for (const line of stdout.split('\n')) {
    const gpu = GPU_LINE.exec(line);
    if (gpu !== null) {
      gpus.push({ id: gpu[3] as string, label: `GPU ${gpu[1]}: ${gpu[2]}`, migs: [] });
      continue;
    }
    const mig = MIG_LINE.exec(line);
    const parent = gpus[gpus.length - 1];
    if (mig !== null && parent !== undefined)
      parent.migs.push({
        id: mig[3] as string,
        label: `MIG ${mig[1]} device ${mig[2]} on ${parent.label.split(':')[0]}`,
      });
  }
  return gpus.flatMap((g) => (g.migs.length > 0 ? g.migs : [{ id: g.id, label: g.label }]));
}

/**
 * Per-worker CUDA_VISIBLE_DEVICES. `requestedWorkers` 0 means one per visible GPU; more workers than
 * GPUs are spread round-robin (several workers share a GPU, each loading its own model copy). With
 * no GPU visible there is one worker (or as many as requested) with every GPU hidden.
 */
export function assignGpus(requestedWorkers: number, gpus: readonly VisibleGpu[]): GpuAssignment {
  if (!Number.isInteger(requestedWorkers) || requestedWorkers < 0)
    throw new RangeError(`workers must be a whole number >= 0, got ${requestedWorkers}`);
  if (gpus.length === 0) {
    const count = Math.max(1, requestedWorkers);
    const workers = Array.from({ length: count }, (_, worker) => ({
      worker,
      cudaVisibleDevices: '',
      label: 'CPU (no GPU visible)',
    }));
    return { workers, description: `${count} worker${count === 1 ? '' : 's'} on CPU: no GPU visible` };
  }
  const count = requestedWorkers === 0 ? gpus.length : requestedWorkers;
  const workers = Array.from({ length: count }, (_, worker) => {
    const gpu = gpus[worker % gpus.length] as VisibleGpu;
    return { worker, cudaVisibleDevices: gpu.id, label: gpu.label };
  });
  const used = Math.min(count, gpus.length);
  const perGpu = count > gpus.length ? `, up to ${Math.ceil(count / gpus.length)} per GPU` : '';
  const unused =
    count < gpus.length ? ` (${gpus.length - count} visible GPU${gpus.length - count === 1 ? '' : 's'} unused)` : '';
  const list = workers.map((w) => `worker ${w.worker} -> ${w.label}`).join('; ');
  return {
    workers,
    description: `${count} worker${count === 1 ? '' : 's'} on ${used} GPU${used === 1 ? '' : 's'}${perGpu}${unused}: ${list}`,
  };
}
