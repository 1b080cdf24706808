import { Counter, Gauge } from 'prom-client';
import type { GpuStats } from '#gen/callscribe/v1/stats.js';
import type { FinalResult } from '#gen/callscribe/v1/transcript.js';
import type { ServiceMetrics } from '#common/metrics.js';
import type { Batcher } from './engine/batcher.js';
import type { WorkerPool } from './engine/worker-pool.js';

/**
 * The transcriber's own series beside the per-call ones: audio in and speech sent to the engine
 * (their ratio is what the VAD saved), queue depth, batch sizes, worker restarts and GPU gauges.
 * Batcher and pool already count these; they are read when Prometheus scrapes, not pushed.
 */
export function addTranscriberMetrics(
  metrics: ServiceMetrics,
  sources: { batcher: Batcher; pools: WorkerPool[]; readGpu: () => Promise<GpuStats> },
) {
  const registers = [metrics.registry];
  const audioSeconds = new Counter({
    name: 'callscribe_audio_seconds_total',
    help: 'seconds of audio decoded from finished Transcribe requests',
    registers,
  });
  const speechSeconds = new Counter({
    name: 'callscribe_speech_seconds_total',
    help: 'seconds of speech the VAD kept and sent to the engine',
    registers,
  });
  new Gauge({
    name: 'callscribe_queue_depth',
    help: 'speech chunks waiting for a worker, across requests',
    registers,
    collect() {
      this.set(sources.batcher.stats.queueDepth);
    },
  });
  new Counter({
    name: 'callscribe_batches_total',
    help: 'engine batches dispatched, by the number of chunks in the batch',
    labelNames: ['batch_size'] as const,
    registers,
    collect() {
      this.reset();
      for (const [size, count] of sources.batcher.stats.batchSizes) this.inc({ batch_size: String(size) }, count);
    },
  });
  new Counter({
    name: 'callscribe_worker_restarts_total',
    help: 'model worker processes restarted after a crash',
    registers,
    collect() {
      this.reset();
      const restarts = sources.pools.flatMap((p) => p.workers()).reduce((n, w) => n + w.restarts, 0);
      if (restarts > 0) this.inc(restarts);
    },
  });
  const gpuLabels = ['gpu', 'name'] as const;
  const gpuUtilization = new Gauge({
    name: 'callscribe_gpu_utilization_percent',
    help: 'GPU utilisation reported by nvidia-smi',
    labelNames: gpuLabels,
    registers,
  });
  const gpuMemory = new Gauge({
    name: 'callscribe_gpu_memory_used_bytes',
    help: 'GPU memory in use reported by nvidia-smi',
    labelNames: gpuLabels,
    registers,
  });
  new Gauge({
    name: 'callscribe_gpu_available',
    help: '1 when nvidia-smi answered with at least one GPU',
    registers,
    async collect() {
      const gpu = await sources.readGpu();
      this.set(gpu.available ? 1 : 0);
      gpuUtilization.reset();
      gpuMemory.reset();
      for (const d of gpu.devices) {
        const labels = { gpu: String(d.index), name: d.name };
        if (d.utilizationPct !== undefined) gpuUtilization.set(labels, d.utilizationPct);
        if (d.memoryUsedBytes !== undefined) gpuMemory.set(labels, d.memoryUsedBytes);
      }
    },
  });
  return {
    requestFinished(final: FinalResult): void {
      audioSeconds.inc(final.audioDurationSec);
      speechSeconds.inc(final.speechSec);
    },
  };
}
