import { execFile } from 'node:child_process';
import type { GpuDevice, GpuStats } from '#gen/callscribe/v1/stats.js';

const QUERY = ['--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];
const MIB = 1024 * 1024;
// The first nvidia-smi call after boot initialises the driver and can take seconds (more on hosts
// without persistence mode); later calls take tens of milliseconds.
const FIRST_READ_TIMEOUT_MS = 30_000;
const READ_TIMEOUT_MS = 5_000;

/** One row of `nvidia-smi --query-gpu`; a field nvidia-smi reports as [N/A] or [Not Supported] is absent. */
export interface GpuRow {
  index: number;
  uuid: string;
  name: string;
  utilizationPct?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
}

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total
 * --format=csv,noheader,nounits`. MIG-enabled GPUs and some vGPUs answer `[N/A]` or
 * `[Not Supported]` for utilisation (and sometimes memory): those fields are left out, never read as
 * NaN or 0, which would pass for an idle GPU. Lines that are not rows (warnings) are skipped.
 */
export function parseNvidiaSmiCsv(stdout: string): GpuRow[] {
  const rows: GpuRow[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.split(',').map((s) => s.trim());
    if (fields.length < 6) continue;
    // A GPU name may itself contain a comma: the first two and last three fields are fixed.
    const [index, uuid] = fields;
    const [util, used, total] = fields.slice(-3);
    const name = fields.slice(2, -3).join(', ');
    const i = number(index);
    if (i === undefined) continue;
    const row: GpuRow = { index: i, uuid: uuid ?? '', name };
    const u = number(util);
    const m = number(used);
    const t = number(total);
    if (u !== undefined) row.utilizationPct = u;
    if (m !== undefined) row.memoryUsedBytes = m * MIB;
    if (t !== undefined) row.memoryTotalBytes = t * MIB;
    rows.push(row);
  }
  return rows;
}

function number(field: string | undefined): number | undefined {
  if (field === undefined || field === '' || field.startsWith('[')) return undefined;
  const n = Number(field);
  return Number.isFinite(n) ? n : undefined;
}

function toDevice(row: GpuRow): GpuDevice {
  return {
    index: row.index,
    uuid: row.uuid,
    name: row.name,
    utilizationPct: row.utilizationPct,
    memoryUsedBytes: row.memoryUsedBytes,
    memoryTotalBytes: row.memoryTotalBytes,
  };
}

/**
 * Reads GPU utilisation and memory through nvidia-smi, at most every `cacheMs`. The first read starts
 * when the reader is created (at boot), so a GetStats never waits on the driver's slow first call:
 * until that read lands, stats say "reading" rather than blocking or timing out. Later reads refresh
 * in the background and a call returns the newest finished one. Without a GPU it says so
 * (available=false and why), never a row of zeros that would read as an idle GPU.
 */
export function createGpuReader(nvidiaSmiPath: string, cacheMs = 500): () => Promise<GpuStats> {
  let latest: GpuStats = {
    available: false,
    reason: 'GPU stats: first nvidia-smi read still running',
    devices: [],
    sampledAtMs: Date.now(),
  };
  let inFlight: Promise<GpuStats> | undefined;
  let first = true;
  const refresh = (): Promise<GpuStats> => {
    inFlight ??= read(nvidiaSmiPath, first ? FIRST_READ_TIMEOUT_MS : READ_TIMEOUT_MS).then((stats) => {
      latest = stats;
      first = false;
      inFlight = undefined;
      return stats;
    });
    return inFlight;
  };
  void refresh();
  return () => {
    if (Date.now() - latest.sampledAtMs >= cacheMs) void refresh();
    return Promise.resolve(latest);
  };
}

function read(path: string, timeoutMs: number): Promise<GpuStats> {
  return new Promise((resolve) => {
    execFile(path, QUERY, { timeout: timeoutMs }, (err, stdout) => {
      const sampledAtMs = Date.now();
      if (err !== null) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        const reason =
          e.code === 'ENOENT'
            ? 'no GPU: nvidia-smi not found'
            : e.killed === true
              ? `GPU stats: nvidia-smi did not answer within ${timeoutMs} ms`
              : `no GPU: nvidia-smi failed (${err.message.split('\n')[0]})`;
        resolve({ available: false, reason, devices: [], sampledAtMs });
        return;
      }
      const devices = parseNvidiaSmiCsv(stdout).map(toDevice);
      resolve(
        devices.length === 0
          ? { available: false, reason: 'no GPU: nvidia-smi lists no device', devices, sampledAtMs }
          : { available: true, reason: '', devices, sampledAtMs },
      );
    });
  });
}
