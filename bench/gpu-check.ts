/**
 * The GPU check (scripts/gpu-check.sh runs it): what a GPU host does with the hf backend and a
 * randomly initialised Whisper of a real size (HF_WHISPER_RANDOM), so it needs no weights and no
 * network. Every FLOP is real; the text is not. It measures, in one run:
 * - worker start: spawn to `ready` (model built and moved to the device);
 * - decode throughput at batch 1/8/16/48 straight through one worker, with the peak GPU memory
 *   nvidia-smi saw during each batch size (the process's reserved memory, what an operator sizes by);
 * - cross-request batching on (BATCH_SIZE 16) vs off (BATCH_SIZE 1) at 16 concurrent requests
 *   through the real transcriber (VAD, chunking, batcher, worker pool);
 * - one poisoned item (NaN samples) in a batch of 16: the other 15 must still be answered.
 * It writes one JSON file. GPU_CHECK_SMOKE=1 runs the same path tiny, on whatever device there is.
 * GPU_CHECK_BACKEND=sphinx runs the harness itself with the CPU engine on a machine without torch
 * (test/gpu-check.test.ts): every step but the model is the one a GPU run takes.
 */
import { credentials } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { streamAudio } from '#client/stream-audio.js';
import { configureLog } from '#common/log.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { createGpuReader } from '../services/transcriber/src/gpu/gpu-stats.js';
import { type WorkerItem, WorkerProcess } from '../services/transcriber/src/engine/worker-process.js';
import { pcm16, syntheticVoice } from '../test/support/synthetic-voice.js';
import { wavHeader } from '../test/support/wav-header.js';
import { machine, median } from './support.js';

configureLog({ level: 'error' });
const SMOKE = process.env['GPU_CHECK_SMOKE'] === '1';
const RATE_HZ = 16_000;
const outPath = process.argv[2] ?? '';
if (outPath === '') {
  process.stderr.write('usage: node dist/bench/gpu-check.js OUT.json (scripts/gpu-check.sh passes it)\n');
  process.exit(64);
}
const python = process.env['CALLSCRIBE_PYTHON'] ?? 'python3';
const workerDir = fileURLToPath(new URL('../../services/transcriber/worker', import.meta.url));
const nvidiaSmi = process.env['NVIDIA_SMI_PATH'] ?? 'nvidia-smi';
const backend = process.env['GPU_CHECK_BACKEND'] ?? 'hf';

const plan = SMOKE
  ? {
      model: 'tiny',
      batches: [1, 2],
      repeats: 1,
      chunkSec: 1,
      maxNewTokens: 4,
      concurrency: 2,
      callSec: 2,
      crossBatch: 2,
    }
  : {
      model: process.env['GPU_CHECK_MODEL'] ?? 'large-v3',
      batches: [1, 8, 16, 48],
      repeats: 3,
      chunkSec: 30,
      maxNewTokens: 96,
      concurrency: 16,
      callSec: 60,
      crossBatch: 16,
    };
const workerEnv = {
  HF_WHISPER_RANDOM: plan.model,
  HF_WHISPER_MAX_NEW_TOKENS: String(plan.maxNewTokens),
  ...(SMOKE ? { HF_WHISPER_DEVICE: process.env['HF_WHISPER_DEVICE'] ?? 'cpu' } : {}),
};
Object.assign(process.env, workerEnv); // the transcriber's workers inherit it

const gpu = createGpuReader(nvidiaSmi, 50);
async function gpuMemoryUsedBytes(): Promise<number | null> {
  const stats = await gpu();
  if (!stats.available) return null;
  return stats.devices.reduce((sum, d) => sum + (d.memoryUsedBytes ?? 0), 0);
}

/** Runs fn while sampling nvidia-smi every 50 ms; the highest memory.used seen (null without a GPU). */
async function withPeakMemory<T>(fn: () => Promise<T>): Promise<{ value: T; peakBytes: number | null }> {
  let peak: number | null = null;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const used = await gpuMemoryUsedBytes();
      if (used !== null) peak = Math.max(peak ?? 0, used);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return { value: await fn(), peakBytes: peak };
  } finally {
    done = true;
    await sampler;
  }
}

const errors: string[] = [];
function failure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  errors.push(message);
  return message;
}

function chunk(seed: number): Float32Array {
  return syntheticVoice(plan.chunkSec, seed);
}

/** English, no prompt, greedy: the same decode work for every item. */
function item(audio: Float32Array): WorkerItem {
  return { audio, language: 'en', prompt: '', temperature: 0 };
}

interface DecodeRow {
  batch: number;
  runsMs?: number[];
  audioSecPerSec?: number[];
  chunksPerSec?: number;
  peakGpuMemoryBytes?: number | null;
  error?: string;
}

async function decodeThroughput(worker: WorkerProcess): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  for (const size of plan.batches) {
    const items = Array.from({ length: size }, (_, i) => item(chunk(i + 1)));
    const runsMs: number[] = [];
    let peakBytes: number | null = null;
    try {
      await worker.run({ wordTimestamps: false, items }); // warm-up: kernels chosen, allocator grown
      peakBytes = (
        await withPeakMemory(async () => {
          for (let r = 0; r < plan.repeats; r++) {
            const t0 = performance.now();
            const result = await worker.run({ wordTimestamps: false, items });
            runsMs.push(performance.now() - t0);
            const failed = result.items.filter((x) => !x.ok).length;
            if (failed > 0) throw new Error(`${failed} of ${size} item(s) failed`);
          }
        })
      ).peakBytes;
    } catch (e) {
      // An OOM at batch 48 is a finding, not the end of the run: record it and try the next size.
      rows.push({ batch: size, error: failure(e) });
      if (worker.exited) break;
      continue;
    }
    const audioSec = size * plan.chunkSec;
    rows.push({
      batch: size,
      runsMs: runsMs.map((ms) => Math.round(ms)),
      audioSecPerSec: runsMs.map((ms) => Number((audioSec / (ms / 1000)).toFixed(2))),
      chunksPerSec: Number((size / (median(runsMs) / 1000)).toFixed(2)),
      peakGpuMemoryBytes: peakBytes,
    });
    process.stderr.write(`gpu-check: batch ${size}: median ${Math.round(median(runsMs))} ms\n`);
  }
  return rows;
}

async function poisonedItem(worker: WorkerProcess) {
  const size = plan.batches.at(-1) === 48 ? 16 : (plan.batches.at(-1) ?? 2);
  const clean = Array.from({ length: size }, (_, i) => item(chunk(i + 1)));
  const poison = new Float32Array(clean[0]?.audio.length ?? RATE_HZ).fill(Number.NaN);
  const poisoned = clean.map((x, i) => (i === size - 1 ? item(poison) : x));
  const t0 = performance.now();
  await worker.run({ wordTimestamps: false, items: clean });
  const cleanMs = performance.now() - t0;
  const t1 = performance.now();
  const result = await worker.run({ wordTimestamps: false, items: poisoned });
  const poisonedMs = performance.now() - t1;
  const last = result.items[size - 1];
  const othersOk = result.items.slice(0, size - 1).every((x) => x.ok);
  return {
    batch: size,
    othersAnswered: othersOk,
    poisonedAnswer: last === undefined ? 'missing' : last.ok ? 'transcribed (wrong)' : `${last.code}: ${last.error}`,
    cleanMs: Math.round(cleanMs),
    poisonedMs: Math.round(poisonedMs),
    pass: othersOk && last !== undefined && !last.ok && last.code === 'invalid_argument',
  };
}

function callWav(seed: number): Buffer {
  const pcm = pcm16([syntheticVoice(plan.callSec, seed)]);
  return Buffer.concat([wavHeader({ dataBytes: pcm.length }), pcm]);
}

async function throughTranscriber(batchSize: number) {
  const t0 = performance.now();
  const transcriber = await startBinary(
    BIN.transcriber,
    [
      '--listen',
      '127.0.0.1:0',
      '--backend',
      backend,
      '--workers',
      '1',
      '--batch-size',
      String(batchSize),
      '--python',
      python,
    ],
    600_000,
  );
  const startMs = performance.now() - t0;
  const client = new TranscriberClient(transcriber.address, credentials.createInsecure());
  try {
    const calls = Array.from({ length: plan.concurrency }, (_, i) => callWav(100 + i));
    await streamAudio((o) => client.transcribe(o), calls[0] as Buffer, {
      config: { language: 'en' },
      deadlineMs: 600_000,
    });
    const t1 = performance.now();
    const settled = await Promise.allSettled(
      calls.map((wav) =>
        streamAudio((o) => client.transcribe(o), wav, { config: { language: 'en' }, deadlineMs: 600_000 }),
      ),
    );
    const wallMs = performance.now() - t1;
    const results = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = settled.flatMap((r) => (r.status === 'rejected' ? [failure(r.reason)] : []));
    const audioSec = plan.concurrency * plan.callSec;
    return {
      batchSize,
      transcriberStartMs: Math.round(startMs),
      requests: plan.concurrency,
      audioSec,
      wallMs: Math.round(wallMs),
      audioSecPerSec: Number((audioSec / (wallMs / 1000)).toFixed(2)),
      segments: results.reduce((n, r) => n + r.segments.length, 0),
      failedRequests: refused.length,
      ...(refused.length > 0 ? { firstError: refused[0] } : {}),
    };
  } finally {
    client.close();
    await stopBinary(transcriber);
  }
}

const started = performance.now();
const t0 = performance.now();
const worker = await WorkerProcess.start({
  pythonPath: python,
  workerDir,
  backend,
  startTimeoutMs: 600_000,
  env: workerEnv,
});
const workerStartMs = Math.round(performance.now() - t0);
const engine = worker.engine;
process.stderr.write(`gpu-check: worker ready in ${workerStartMs} ms: ${JSON.stringify(engine)}\n`);
let decode: DecodeRow[] = [];
let poisoned: Awaited<ReturnType<typeof poisonedItem>> | { error: string; pass: false } = {
  error: 'not run',
  pass: false,
};
try {
  decode = await decodeThroughput(worker);
  poisoned = await poisonedItem(worker).catch((e: unknown) => ({ error: failure(e), pass: false as const }));
} finally {
  await worker.stop(10_000);
}
const through = async (batchSize: number) =>
  throughTranscriber(batchSize).catch((e: unknown) => ({ batchSize, error: failure(e), audioSecPerSec: Number.NaN }));
const on = await through(plan.crossBatch);
const off = await through(1);
const gpuStats = await gpu();
const out = {
  measuredAt: new Date().toISOString(),
  smoke: SMOKE,
  machine: machine(),
  gpus: gpuStats.available ? gpuStats.devices.map((d) => ({ name: d.name, memoryTotalBytes: d.memoryTotalBytes })) : [],
  engine,
  model:
    backend !== 'hf'
      ? `${backend} (harness check, not a GPU figure)`
      : `random-init ${plan.model}, ${plan.maxNewTokens} new tokens per chunk (min = max), ${plan.chunkSec} s chunks`,
  workerStartMs,
  decode,
  crossRequest: {
    concurrency: plan.concurrency,
    on,
    off,
    speedup: Number((on.audioSecPerSec / off.audioSecPerSec).toFixed(2)),
  },
  poisonedItem: poisoned,
  errors,
  totalMs: Math.round(performance.now() - started),
};
writeFileSync(outPath, `${JSON.stringify(out, null, 2)}\n`);
process.stderr.write(`gpu-check: wrote ${outPath} in ${Math.round(out.totalMs / 1000)} s\n`);
if (!poisoned.pass || errors.length > 0) {
  process.stderr.write(
    `gpu-check: failed: poisoned item ${JSON.stringify(poisoned)}; errors ${JSON.stringify(errors)}\n`,
  );
  process.exit(1);
}
process.exit(0);
