import { log } from '../../common/src/log.js';
import {
  WorkerCrashedError,
  WorkerProcess,
  type EngineDescription,
  type WorkerBatch,
  type WorkerBatchResult,
  type WorkerSpawnOptions,
} from './worker-process.js';

export type WorkerState = 'starting' | 'idle' | 'busy' | 'restarting' | 'stopped';

export interface WorkerSlot {
  id: number;
  state: WorkerState;
  process: WorkerProcess | undefined;
  batches: number;
  restarts: number;
}

const MAX_RESTART_DELAY_MS = 10_000;

/**
 * Python workers, one per device (or per core for CPU engines), supervised: a worker that dies is
 * restarted with backoff while the others keep serving. Callers take an idle slot, run one batch.
 */
export class WorkerPool {
  readonly slots: WorkerSlot[];
  private readonly availableListeners: Array<() => void> = [];
  /** One-shot callers of acquire(), woken on the next free slot. */
  private waiters: Array<() => void> = [];
  private stopping = false;
  engine: EngineDescription | undefined;

  constructor(
    size: number,
    private readonly spawnOptions: WorkerSpawnOptions,
    private readonly restartDelayMs = 250,
  ) {
    this.slots = Array.from({ length: size }, (_, id) => ({ id, state: 'starting' as WorkerState, process: undefined, batches: 0, restarts: 0 }));
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
    const proc = await WorkerProcess.start(this.spawnOptions);
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
    const delay = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2 ** Math.min(slot.restarts - 1, 6));
    log.warn('worker exited; restarting', { worker: slot.id, pid: proc.pid, reason, delayMs: delay });
    const retry = () => {
      if (this.stopping) return;
      this.spawn(slot).catch((err: unknown) => {
        log.error('worker restart failed', { worker: slot.id, error: String(err) });
        setTimeout(retry, MAX_RESTART_DELAY_MS).unref();
      });
    };
    setTimeout(retry, delay).unref();
  }

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

  /** Waits for an idle slot (FIFO), failing once the signal aborts. */
  async acquire(signal: AbortSignal): Promise<WorkerSlot> {
    for (;;) {
      const slot = this.takeIdle();
      if (slot !== undefined) return slot;
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

  takeIdle(): WorkerSlot | undefined {
    const slot = this.slots.find((s) => s.state === 'idle' && s.process !== undefined);
    if (slot !== undefined) slot.state = 'busy';
    return slot;
  }

  run(slot: WorkerSlot, batch: WorkerBatch): Promise<WorkerBatchResult> {
    return this.use(slot, (proc) => proc.run(batch));
  }

  /** Runs one request on a slot taken with takeIdle(), then frees it. */
  async use<T>(slot: WorkerSlot, work: (proc: WorkerProcess) => Promise<T>): Promise<T> {
    const proc = slot.process;
    if (proc === undefined) throw new WorkerCrashedError('worker is not running');
    try {
      const result = await work(proc);
      slot.batches++;
      return result;
    } finally {
      if (slot.process === proc && !proc.exited) slot.state = 'idle';
      this.notifyAvailable();
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map(async (slot) => {
      await slot.process?.stop(graceMs);
      slot.state = 'stopped';
    }));
  }
}
