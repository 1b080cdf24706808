import { log } from '#common/log.js';
import {
  WorkerCrashedError,
  WorkerLoadError,
  WorkerProcess,
  type EngineDescription,
  type WorkerBatch,
  type WorkerBatchResult,
  type WorkerSpawnOptions,
} from './worker-process.js';

/** failed: the backend refused to load (a `fatal` answer); restarting it cannot help. */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'restarting' | 'failed' | 'stopped';

interface WorkerSlot {
  id: number;
  state: WorkerState;
  process: WorkerProcess | undefined;
  batches: number;
  restarts: number;
  /** Crashes and failed starts since the worker last finished a batch: what the back-off grows with. */
  failureStreak: number;
  device: WorkerDevice | undefined;
}

/** The device a worker is pinned to (GPU engines): its CUDA_VISIBLE_DEVICES and a name for people. */
export interface WorkerDevice {
  cudaVisibleDevices: string;
  label: string;
}

export interface WorkerPoolOptions {
  restartDelayMs?: number;
  /** Failed starts in a row after which a worker is given up on (state `failed`); default 3. */
  maxStartFailures?: number;
  /** One per worker, in worker order; absent for CPU engines, which leave the environment alone. */
  devices?: readonly WorkerDevice[];
}

/** A worker as GetStats shows it. */
export interface WorkerSummary {
  id: number;
  pid: number;
  state: WorkerState;
  batches: number;
  restarts: number;
  /** "GPU 0: NVIDIA H100 80GB HBM3", "CPU (no GPU visible)", or "" for CPU engines. */
  device: string;
  cudaVisibleDevices: string;
}

const MAX_RESTART_DELAY_MS = 10_000;

/**
 * Python workers, one per device (or per core for CPU engines), supervised: a worker that dies is
 * restarted with backoff while the others keep serving. Work runs on an idle worker, one request at
 * a time per worker: `run` for the batcher (which never waits), `withWorker` for callers that queue.
 */
export class WorkerPool {
  private readonly slots: WorkerSlot[];
  private readonly availableListeners: Array<() => void> = [];
  /** One-shot callers of withWorker(), woken on the next free worker. */
  private waiters: Array<() => void> = [];
  private stopping = false;
  engine: EngineDescription | undefined;
  /** Why the backend cannot load, once a worker answered `fatal`. */
  fatalReason: string | undefined;

  private readonly restartDelayMs: number;
  private readonly maxStartFailures: number;

  constructor(
    size: number,
    private readonly spawnOptions: WorkerSpawnOptions,
    options: WorkerPoolOptions = {},
  ) {
    this.restartDelayMs = options.restartDelayMs ?? 250;
    this.maxStartFailures = options.maxStartFailures ?? 3;
    if (options.devices !== undefined && options.devices.length !== size)
      throw new RangeError(`${size} workers but ${options.devices.length} devices`);
    this.slots = Array.from({ length: size }, (_, id) => ({
      id,
      state: 'starting' as WorkerState,
      process: undefined,
      batches: 0,
      restarts: 0,
      failureStreak: 0,
      device: options.devices?.[id],
    }));
  }

  /** Starts every worker; fails only if none can start, with the backend's own reason. */
  async start(): Promise<EngineDescription> {
    const results = await Promise.allSettled(this.slots.map((slot) => this.spawn(slot)));
    const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (this.engine === undefined) throw firstFailure?.reason ?? new Error('no worker started');
    if (firstFailure !== undefined) log.warn('some workers failed to start', { reason: String(firstFailure.reason) });
    return this.engine;
  }

  private async spawn(slot: WorkerSlot): Promise<void> {
    let proc: WorkerProcess;
    try {
      // Pinned to one device, torch and CTranslate2 inside the worker see it as their device 0.
      const env = slot.device === undefined ? {} : { CUDA_VISIBLE_DEVICES: slot.device.cudaVisibleDevices };
      proc = await WorkerProcess.start({ ...this.spawnOptions, env: { ...this.spawnOptions.env, ...env } });
    } catch (err: unknown) {
      if (err instanceof WorkerLoadError) {
        slot.state = 'failed';
        this.fatalReason = err.message;
      }
      throw err;
    }
    if (this.stopping) {
      proc.kill();
      return;
    }
    this.engine ??= proc.engine;
    slot.process = proc;
    slot.state = 'idle';
    proc.onExit((reason) => this.handleExit(slot, proc, reason));
    this.notifyAvailable();
  }

  private handleExit(slot: WorkerSlot, proc: WorkerProcess, reason: string): void {
    if (slot.process !== proc) return;
    slot.process = undefined;
    if (this.stopping) {
      slot.state = 'stopped';
      return;
    }
    slot.state = 'restarting';
    slot.restarts++;
    slot.failureStreak++;
    log.warn('worker exited; restarting', { worker: slot.id, pid: proc.pid, reason, delayMs: this.backoff(slot) });
    const retry = () => {
      if (this.stopping) return;
      this.spawn(slot).catch((err: unknown) => {
        slot.failureStreak++;
        const fatal = err instanceof WorkerLoadError;
        if (fatal || slot.failureStreak > this.maxStartFailures) {
          // Restarting a worker that cannot load only burns the machine; say why and stop.
          slot.state = 'failed';
          this.fatalReason ??= err instanceof Error ? err.message : String(err);
          log.error('worker cannot start; not restarting it', {
            worker: slot.id,
            failuresInARow: slot.failureStreak,
            reason: this.fatalReason,
          });
          this.notifyAvailable();
          return;
        }
        log.error('worker restart failed', { worker: slot.id, error: String(err), delayMs: this.backoff(slot) });
        setTimeout(retry, this.backoff(slot)).unref();
      });
    };
    setTimeout(retry, this.backoff(slot)).unref();
  }

  /** Doubles with each failure in a row; a finished batch resets it (see use). */
  private backoff(slot: WorkerSlot): number {
    return Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2 ** Math.min(Math.max(0, slot.failureStreak - 1), 6));
  }

  /** Why the pool cannot serve, for GetStats and the log; undefined while any worker can. */
  get notServingReason(): string | undefined {
    if (this.serving || this.stopping) return undefined;
    if (this.down) return `no worker can start: ${this.fatalReason ?? 'every worker failed'}`;
    return 'workers are restarting';
  }

  /** Called whenever a worker may have become free (or the pool's state changed). */
  onAvailable(listener: () => void): void {
    this.availableListeners.push(listener);
  }

  private notifyAvailable(): void {
    for (const l of this.availableListeners) l();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Any worker alive (idle or busy): the service can make progress. */
  get serving(): boolean {
    return this.slots.some((s) => s.state === 'idle' || s.state === 'busy');
  }

  /** No worker runs and none will again (shut down, or every backend load failed). */
  get down(): boolean {
    return this.slots.every((s) => s.state === 'stopped' || s.state === 'failed');
  }

  workers(): WorkerSummary[] {
    return this.slots.map((w) => ({
      id: w.id,
      pid: w.process?.pid ?? 0,
      state: w.state,
      batches: w.batches,
      restarts: w.restarts,
      device: w.device?.label ?? '',
      cudaVisibleDevices: w.device?.cudaVisibleDevices ?? '',
    }));
  }

  private takeIdle(): WorkerSlot | undefined {
    const slot = this.slots.find((s) => s.state === 'idle' && s.process !== undefined);
    if (slot !== undefined) slot.state = 'busy';
    return slot;
  }

  get hasIdle(): boolean {
    return this.slots.some((s) => s.state === 'idle' && s.process !== undefined);
  }

  /** Runs a batch on an idle worker; check `hasIdle` first (the batcher never waits for one). */
  run(batch: WorkerBatch): Promise<WorkerBatchResult> {
    const slot = this.takeIdle();
    if (slot === undefined) return Promise.reject(new WorkerCrashedError('no idle worker'));
    return this.use(slot, (proc) => proc.run(batch));
  }

  /** Waits for an idle worker (FIFO), failing once the signal aborts, and runs `work` on it. */
  async withWorker<T>(signal: AbortSignal, work: (proc: WorkerProcess) => Promise<T>): Promise<T> {
    for (;;) {
      const slot = this.takeIdle();
      if (slot !== undefined) return this.use(slot, work);
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private async use<T>(slot: WorkerSlot, work: (proc: WorkerProcess) => Promise<T>): Promise<T> {
    const proc = slot.process;
    if (proc === undefined) throw new WorkerCrashedError('worker is not running');
    try {
      const result = await work(proc);
      slot.batches++;
      slot.failureStreak = 0;
      return result;
    } finally {
      if (slot.process === proc && !proc.exited) slot.state = 'idle';
      this.notifyAvailable();
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.process?.stop(graceMs);
        slot.state = 'stopped';
      }),
    );
  }
}
