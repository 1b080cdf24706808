import { createWriteStream } from 'node:fs';
import { Metadata } from '@grpc/grpc-js';
import { stringify } from 'csv-stringify';
import type { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { ServerStats } from '#gen/callscribe/v1/stats.js';
import type { StatsSample } from '../results/stats-sample.js';

const COLUMNS = [
  'at_ms',
  'gpu_available',
  'gpu_util_pct',
  'gpu_mem_used_bytes',
  'gpu_note',
  'queue_depth',
  'server_in_flight',
  'batches_dispatched',
  'chunks_dispatched',
];

/**
 * Polls Gateway.GetServerStats and keeps the series, writing each sample to a CSV as it comes. Without
 * a client (an HTTP protocol) it samples nothing and says why in gpuNote.
 */
export class StatsSampler {
  readonly samples: StatsSample[] = [];
  private readonly csv = stringify({ header: true, columns: COLUMNS });
  private readonly done: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  lastError: string | undefined;

  constructor(
    private readonly client: GatewayClient | undefined,
    csvPath: string,
    private readonly intervalMs: number,
    private readonly noClientNote = 'not measured: no stats client',
  ) {
    const file = createWriteStream(csvPath);
    this.csv.pipe(file);
    this.done = new Promise((resolve) => file.on('finish', () => resolve()));
  }

  start(): void {
    if (this.client === undefined) return;
    const tick = () => {
      void this.sample().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  private sample(): Promise<void> {
    const client = this.client;
    if (client === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      client.getServerStats(
        {},
        new Metadata(),
        { deadline: Date.now() + Math.max(1000, this.intervalMs) },
        (err, stats: ServerStats) => {
          if (err !== null) {
            this.lastError = err.details;
            resolve();
            return;
          }
          const t = stats.transcribers;
          const devices = t.flatMap((x) => (x.gpu?.available === true ? x.gpu.devices : []));
          const s: StatsSample = {
            atMs: Date.now(),
            gpuAvailable: devices.length > 0,
            gpuReason: devices.length > 0 ? '' : (t[0]?.gpu?.reason ?? 'no transcriber answered'),
            gpuUtilPct: mean(devices.flatMap((d) => (d.utilizationPct === undefined ? [] : [d.utilizationPct]))),
            gpuMemUsedBytes: sum(devices.flatMap((d) => (d.memoryUsedBytes === undefined ? [] : [d.memoryUsedBytes]))),
            queueDepth: t.reduce((n, x) => n + x.queueDepth, 0),
            serverInFlight: t.reduce((n, x) => n + x.inFlightRequests, 0),
            batches: t.reduce((n, x) => n + x.batchesDispatched, 0),
            chunks: t.reduce((n, x) => n + x.chunksDispatched, 0),
          };
          this.samples.push(s);
          this.csv.write([
            s.atMs,
            s.gpuAvailable,
            s.gpuUtilPct ?? '',
            s.gpuMemUsedBytes ?? '',
            s.gpuReason,
            s.queueDepth,
            s.serverInFlight,
            s.batches,
            s.chunks,
          ]);
          resolve();
        },
      );
    });
  }

  /** Mean and max GPU utilisation over a request's window, or undefined without a GPU. */
  gpuOver(startMs: number, endMs: number): { mean: number; max: number } | undefined {
    const inside = this.samples.filter(
      (s) => s.gpuUtilPct !== undefined && s.atMs >= startMs - this.intervalMs && s.atMs <= endMs + this.intervalMs,
    );
    if (inside.length === 0) return undefined;
    const values = inside.map((s) => s.gpuUtilPct as number);
    return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
  }

  get gpuNote(): string {
    const last = this.samples[this.samples.length - 1];
    if (this.client === undefined) return this.noClientNote;
    return last === undefined ? (this.lastError ?? 'no stats') : last.gpuAvailable ? '' : last.gpuReason;
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t !== undefined) clearTimeout(t);
    this.csv.end();
    await this.done;
  }
}

// A GPU that reports [N/A] (MIG, vGPU) is left out of the figures rather than counted as idle.
function mean(values: number[]): number | undefined {
  return values.length > 0 ? values.reduce((n, v) => n + v, 0) / values.length : undefined;
}

function sum(values: number[]): number | undefined {
  return values.length > 0 ? values.reduce((n, v) => n + v, 0) : undefined;
}
