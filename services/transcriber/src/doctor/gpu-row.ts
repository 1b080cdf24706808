import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GPU_BACKENDS, type TranscriberConfig } from '../config.js';
import { assignGpus } from '../gpu/gpu-assignment.js';
import { visibleGpus } from '../gpu/gpu-discovery.js';
import { parseNvidiaSmiCsv } from '../gpu/gpu-stats.js';
import type { DoctorRow } from './doctor-rows.js';

const QUERY = ['--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];
// The first nvidia-smi call after boot initialises the driver, which can take seconds.
const NVIDIA_SMI_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;
/** The setting that sends each GPU engine to the CPU on purpose. */
const DEVICE_SETTINGS: Record<string, string> = { whisperx: 'WHISPERX_DEVICE', hf: 'HF_WHISPER_DEVICE' };

/**
 * The host's view of the GPUs, as the transcriber itself sees them before it starts a worker: the
 * devices it would pin workers to (CUDA_VISIBLE_DEVICES, else `nvidia-smi -L`), their memory, the
 * driver and the CUDA version the driver supports. The Python rows add torch's view.
 */
export async function gpuRow(config: TranscriberConfig, env = process.env): Promise<DoctorRow> {
  const started = Date.now();
  const row = (status: DoctorRow['status'], detail: string, fix = ''): DoctorRow => ({
    check: 'gpu (nvidia-smi)',
    status,
    detail,
    fix,
    ms: Date.now() - started,
  });
  if (!GPU_BACKENDS.has(config.backend) && config.diarizer !== 'pyannote')
    return row('skip', `the ${config.backend} engine and the ${config.diarizer} diarizer run on the CPU`);
  const setting = DEVICE_SETTINGS[config.backend];
  const device = setting === undefined ? '' : (env[setting] ?? '');
  if (device !== '' && !device.startsWith('cuda'))
    return row('skip', `${setting}=${device}: the engine runs on the CPU on purpose`);
  const fix =
    'install the NVIDIA driver on the host and the NVIDIA container toolkit, and give the container the GPUs (the GPU compose file reserves them; docker run --gpus all); --nvidia-smi / NVIDIA_SMI_PATH if nvidia-smi is elsewhere';
  let header: string;
  let csv: string;
  try {
    const run = promisify(execFile);
    [header, csv] = await Promise.all([
      run(config.nvidiaSmiPath, [], { timeout: NVIDIA_SMI_TIMEOUT_MS }).then((r) => r.stdout),
      run(config.nvidiaSmiPath, QUERY, { timeout: NVIDIA_SMI_TIMEOUT_MS }).then((r) => r.stdout),
    ]);
  } catch (err: unknown) {
    return row('fail', `${config.nvidiaSmiPath} cannot run: ${err instanceof Error ? err.message : String(err)}`, fix);
  }
  const devices = parseNvidiaSmiCsv(csv);
  if (devices.length === 0) return row('fail', `${config.nvidiaSmiPath} lists no GPU`, fix);
  const plan = assignGpus(config.workers, await visibleGpus(config.nvidiaSmiPath, env));
  const driver = /Driver Version:\s*(\S+)/.exec(header)?.[1] ?? '?';
  const cuda = /CUDA Version:\s*(\S+)/.exec(header)?.[1] ?? '?';
  const list = devices
    .map((d) => `${d.index}: ${d.name} ${mib(d.memoryTotalBytes)} MiB (${mib(d.memoryUsedBytes)} MiB used)`)
    .join('; ');
  return row('ok', `${list}; driver ${driver}, CUDA ${cuda}; ${plan.description}`);
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : String(Math.round(bytes / MIB));
}
