import { status } from '@grpc/grpc-js';
import { log } from '#common/log.js';
import { ServiceError, unavailable } from '#common/service-error.js';
import {
  WorkerCrashedError,
  type WorkerBatch,
  type WorkerBatchResult,
  type WorkerItemResult,
  type WorkerSegment,
} from './worker-process.js';

/**
 * What the batcher needs of the workers, and nothing more: a WorkerPool in the service, a scripted
 * engine in the fast tests (test/unit/batcher.test.ts).
 */
export interface BatchRunner {
  /** Every worker failed for good: queued chunks are failed rather than left waiting. */
  readonly down: boolean;
  /** Why the engine cannot load, when that is why it is down. */
  readonly fatalReason: string | undefined;
  readonly hasIdle: boolean;
  /** Called whenever a worker becomes free, so the next batch goes at once. */
  onAvailable(listener: () => void): void;
  /** Rejects with WorkerCrashedError when the process died under the batch (the batch is retried once). */
  run(batch: WorkerBatch): Promise<WorkerBatchResult>;
}

/** How a request asks its chunks to be decoded. */
export interface ChunkDecoding {
  /** A Whisper language code, or "" to let the engine detect it. */
  language: string;
  wordTimestamps: boolean;
  /** Whisper's initial prompt, "" for none; only sent to engines that take one. */
  prompt: string;
  /** 0 decodes deterministically; above 0 the engine samples. */
  temperature: number;
}

/** The part of the batcher a request uses: queue one chunk, or drop all of a request's queued chunks. */
export interface ChunkQueue {
  submit(requestId: number, audio: Float32Array, decoding: ChunkDecoding, signal: AbortSignal): Promise<ChunkOutcome>;
  cancel(requestId: number, reason: unknown): void;
}

export interface BatcherOptions {
  batchSize: number;
  maxDelayMs: number;
}

export interface ChunkOutcome {
  segments: WorkerSegment[];
  /** The language the engine used (detected when none was asked for). */
  language: string;
  /** False when the engine could not align this chunk's words: its segments carry text only. */
  aligned: boolean;
  queueMs: number;
  /** This chunk's share of its batch's inference time, by audio length. */
  asrMs: number;
}

interface Job {
  requestId: number;
  decoding: ChunkDecoding;
  audio: Float32Array;
  enqueuedAt: number;
  attempts: number;
  settled: boolean;
  resolve(o: ChunkOutcome): void;
  reject(e: unknown): void;
}

export interface BatcherStats {
  queueDepth: number;
  batchesDispatched: number;
  chunksDispatched: number;
  chunksCancelled: number;
  batchesRetried: number;
  batchSizes: Map<number, number>;
}

/**
 * Cross-request dynamic batcher. Chunks from every in-flight request wait in per-request queues; when
 * a worker is free, a batch of up to `batchSize` is taken round-robin across requests (so one long
 * file cannot starve short calls), or fewer once the oldest chunk has waited `maxDelayMs`. A batch
 * whose worker crashed is retried once, ahead of new work; chunks of a cancelled request are dropped
 * before any worker sees them.
 */
export class Batcher implements ChunkQueue {
  private readonly queues = new Map<number, Job[]>();
  private order: number[] = [];
  private cursor = 0;
  private retries: Job[][] = [];
  private queued = 0;
  private queuedSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly stats: BatcherStats = {
    queueDepth: 0,
    batchesDispatched: 0,
    chunksDispatched: 0,
    chunksCancelled: 0,
    batchesRetried: 0,
    batchSizes: new Map(),
  };

  constructor(
    private readonly pool: BatchRunner,
    private readonly options: BatcherOptions,
  ) {
    pool.onAvailable(() => this.dispatch());
  }

  submit(requestId: number, audio: Float32Array, decoding: ChunkDecoding, signal: AbortSignal): Promise<ChunkOutcome> {
    // No queue limit here: admission refuses whole requests at the door, and each admitted request
    // has a bounded number of chunks in flight, so an admitted request is never failed for load.
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<ChunkOutcome>((resolve, reject) => {
      const job: Job = {
        requestId,
        decoding,
        audio,
        enqueuedAt: performance.now(),
        attempts: 0,
        settled: false,
        resolve,
        reject,
      };
      let queue = this.queues.get(requestId);
      if (queue === undefined) {
        queue = [];
        this.queues.set(requestId, queue);
        this.order.push(requestId);
      }
      queue.push(job);
      this.queued++;
      this.queuedSamples += audio.length;
      this.stats.queueDepth = this.queued;
      this.dispatch();
    });
  }

  /** Seconds of speech (16 kHz) waiting for a worker, across requests: what admission limits. */
  get queuedAudioSec(): number {
    return this.queuedSamples / 16_000;
  }

  /** Drops a request's queued chunks; its chunks already on a worker finish and are ignored. */
  cancel(requestId: number, reason: unknown): void {
    const queue = this.queues.get(requestId);
    if (queue === undefined) return;
    this.queues.delete(requestId);
    this.order = this.order.filter((id) => id !== requestId);
    this.queued -= queue.length;
    this.queuedSamples -= queue.reduce((n, j) => n + j.audio.length, 0);
    this.stats.queueDepth = this.queued;
    this.stats.chunksCancelled += queue.length;
    for (const job of queue) settle(job, () => job.reject(reason));
  }

  private dispatch(): void {
    while (this.retries.length > 0 || this.queued > 0) {
      const retry = this.retries[0];
      if (retry === undefined && !this.batchDue()) return;
      if (this.pool.down) {
        this.failAll(
          unavailable(
            `no transcription worker is running${this.pool.fatalReason === undefined ? '' : ': the engine cannot load'}`,
          ),
        );
        return;
      }
      if (!this.pool.hasIdle) return;
      const batch = retry === undefined ? this.take() : (this.retries.shift() as Job[]);
      const live = batch.filter((j) => !j.settled);
      if (live.length === 0) continue;
      const running = this.pool.run({
        wordTimestamps: live.some((j) => j.decoding.wordTimestamps),
        items: live.map(({ audio, decoding: { language, prompt, temperature } }) => ({
          audio,
          language,
          prompt,
          temperature,
        })),
      });
      void this.settleBatch(live, running);
    }
  }

  /** A full batch is waiting, or the oldest chunk has waited long enough. */
  private batchDue(): boolean {
    if (this.queued === 0) return false;
    if (this.queued >= this.options.batchSize) return true;
    let oldest = Infinity;
    for (const q of this.queues.values()) oldest = Math.min(oldest, q[0]?.enqueuedAt ?? Infinity);
    const waitMs = this.options.maxDelayMs - (performance.now() - oldest);
    if (waitMs <= 0) return true;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, Math.ceil(waitMs));
    }
    return false;
  }

  /** Up to `batchSize` chunks, one per request in turn (round-robin), so no request starves. */
  private take(): Job[] {
    const batch: Job[] = [];
    while (batch.length < this.options.batchSize && this.order.length > 0) {
      this.cursor %= this.order.length;
      const id = this.order[this.cursor] as number;
      const queue = this.queues.get(id) as Job[];
      batch.push(queue.shift() as Job);
      if (queue.length === 0) {
        this.queues.delete(id);
        this.order.splice(this.cursor, 1);
      } else this.cursor++;
    }
    this.queued -= batch.length;
    this.queuedSamples -= batch.reduce((n, j) => n + j.audio.length, 0);
    this.stats.queueDepth = this.queued;
    return batch;
  }

  /** Settles each chunk of a batch on its own: one chunk's failure is not its neighbours'. */
  private async settleBatch(live: Job[], running: Promise<WorkerBatchResult>): Promise<void> {
    const dispatchedAt = performance.now();
    this.stats.batchesDispatched++;
    this.stats.chunksDispatched += live.length;
    this.stats.batchSizes.set(live.length, (this.stats.batchSizes.get(live.length) ?? 0) + 1);
    for (const j of live) j.attempts++;
    try {
      const result = await running;
      const totalSamples = live.reduce((n, j) => n + j.audio.length, 0);
      live.forEach((job, i) => {
        const item = result.items[i];
        if (item?.ok === true) {
          const asrMs = (result.elapsedMs * job.audio.length) / Math.max(1, totalSamples);
          settle(job, () =>
            job.resolve({
              segments: item.segments,
              language: item.language,
              aligned: item.aligned,
              queueMs: dispatchedAt - job.enqueuedAt,
              asrMs,
            }),
          );
        } else settle(job, () => job.reject(itemFailure(item)));
      });
    } catch (err: unknown) {
      if (err instanceof WorkerCrashedError && live.every((j) => j.attempts < 2)) {
        // Transcription is idempotent, so the batch runs again, ahead of new work.
        log.warn('worker crashed during a batch; retrying it once', { chunks: live.length, reason: err.message });
        this.stats.batchesRetried++;
        this.retries.push(live);
      } else {
        log.error('transcription batch failed', {
          chunks: live.length,
          error: err instanceof Error ? err.message : String(err),
        });
        const failure =
          err instanceof WorkerCrashedError
            ? new ServiceError(status.UNAVAILABLE, 'the transcription worker crashed twice on this audio; retry later')
            : new ServiceError(status.INTERNAL, 'transcription failed (the transcriber logged the cause)');
        for (const job of live) settle(job, () => job.reject(failure));
      }
    } finally {
      this.dispatch();
    }
  }

  private failAll(err: unknown): void {
    for (const id of [...this.queues.keys()]) this.cancel(id, err);
    for (const batch of this.retries.splice(0)) for (const job of batch) settle(job, () => job.reject(err));
  }
}

function settle(job: Job, action: () => void): void {
  if (job.settled) return;
  job.settled = true;
  action();
}

function itemFailure(item: WorkerItemResult | undefined): ServiceError {
  if (item?.ok === false && item.code === 'invalid_argument')
    return new ServiceError(status.INVALID_ARGUMENT, item.error);
  log.error('transcription failed for one chunk', { error: item?.ok === false ? item.error : 'no result' });
  return new ServiceError(
    status.INTERNAL,
    'transcription failed for part of this audio (the transcriber logged the cause)',
  );
}
