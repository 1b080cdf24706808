import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { log } from '#common/log.js';
import { encodeFrame, FrameDecoder, type Frame } from './worker-frames.js';

export interface EngineDescription {
  backend: string;
  model: string;
  device: string;
  computeType: string;
  languages: string[];
}

export interface WorkerWord {
  text: string;
  start: number;
  end: number;
  confidence: number;
}

export interface WorkerSegment {
  start: number;
  end: number;
  text: string;
  words: WorkerWord[];
}

export interface WorkerItem {
  audio: Float32Array;
  /** A Whisper language code, or "" to let the engine detect it. */
  language: string;
}

export interface WorkerBatch {
  wordTimestamps: boolean;
  items: WorkerItem[];
}

/** One item's answer: its segments, or why that item alone failed. */
export type WorkerItemResult =
  | { ok: true; segments: WorkerSegment[]; language: string; aligned: boolean }
  | { ok: false; error: string; code: 'invalid_argument' | 'internal' };

export interface WorkerBatchResult {
  items: WorkerItemResult[];
  elapsedMs: number;
}

interface WireItem {
  segments?: WorkerSegment[];
  language?: string;
  aligned?: boolean;
  error?: string;
  code?: string;
}

function itemResult(wire: WireItem | undefined): WorkerItemResult {
  if (wire === undefined) return { ok: false, error: 'the worker returned no result for this chunk', code: 'internal' };
  if (wire.error !== undefined)
    return { ok: false, error: wire.error, code: wire.code === 'invalid_argument' ? 'invalid_argument' : 'internal' };
  return { ok: true, segments: wire.segments ?? [], language: wire.language ?? '', aligned: wire.aligned ?? false };
}

export interface WorkerSpawnOptions {
  pythonPath: string;
  workerDir: string;
  backend: string;
  startTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** The process died or broke the protocol; the batch it held may be retried elsewhere. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

/** The backend answered `fatal` (missing library, weights, token): restarting will not help. */
export class WorkerLoadError extends Error {
  override name = 'WorkerLoadError';
}

export interface WorkerTurn {
  start: number;
  end: number;
  speaker: string;
}

export interface WorkerDiarizeResult {
  turns: WorkerTurn[];
  elapsedMs: number;
}

type Pending = { id: number; resolve(header: Record<string, unknown>): void; reject(e: unknown): void };

/** One long-lived Python model process, answering one batch at a time. */
export class WorkerProcess {
  private readonly decoder = new FrameDecoder();
  private pending: Pending | undefined;
  private nextId = 1;
  private stderrTail = '';
  private exitListeners: Array<(reason: string) => void> = [];
  exited = false;
  engine: EngineDescription | undefined;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static start(options: WorkerSpawnOptions): Promise<WorkerProcess> {
    const child = spawn(options.pythonPath, ['-u', '-m', 'callscribe_worker', '--backend', options.backend], {
      cwd: options.workerDir,
      env: { ...process.env, ...options.env, PYTHONPATH: options.workerDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new WorkerCrashedError(`worker did not become ready within ${options.startTimeoutMs} ms`));
      }, options.startTimeoutMs);
      worker.onFrame = (frame) => {
        clearTimeout(timer);
        if (frame.header['type'] === 'ready') {
          const e = frame.header['engine'] as Record<string, unknown>;
          worker.engine = {
            backend: String(e['backend']),
            model: String(e['model']),
            device: String(e['device']),
            computeType: String(e['compute_type']),
            languages: (e['languages'] as string[] | undefined) ?? [],
          };
          worker.onFrame = (f) => worker.handleFrame(f);
          resolve(worker);
        } else {
          reject(new WorkerLoadError(String(frame.header['message'] ?? 'worker failed to start')));
        }
      };
      worker.onEarlyExit = (reason) => {
        clearTimeout(timer);
        reject(new WorkerCrashedError(reason));
      };
      child.on('error', (err) => worker.handleExit(`cannot start ${options.pythonPath}: ${err.message}`));
      child.stdout.on('data', (b: Buffer) => {
        let frames: Frame[];
        try {
          frames = worker.decoder.push(b);
        } catch (err: unknown) {
          child.kill('SIGKILL');
          worker.handleExit(`protocol error: ${String(err)}`);
          return;
        }
        for (const f of frames) worker.onFrame(f);
      });
      child.stderr.on('data', (b: Buffer) => {
        worker.stderrTail = (worker.stderrTail + b.toString()).slice(-4000);
      });
      child.stdin.on('error', () => {});
      child.on('exit', (code, signal) => {
        const tail = worker.stderrTail.trim().split('\n').slice(-3).join(' | ');
        worker.handleExit(`worker exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`);
      });
    });
  }

  private onFrame: (f: Frame) => void = () => {};
  private onEarlyExit: ((reason: string) => void) | undefined;

  private handleFrame(frame: Frame): void {
    const p = this.pending;
    if (p === undefined || frame.header['id'] !== p.id) {
      log.warn('worker sent an unexpected frame', { type: frame.header['type'], pid: this.pid });
      return;
    }
    this.pending = undefined;
    if (frame.header['type'] === 'result') p.resolve(frame.header);
    else {
      p.reject(new Error(`worker error: ${String(frame.header['message'])}`));
    }
  }

  private handleExit(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    if (this.engine === undefined) this.onEarlyExit?.(reason);
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new WorkerCrashedError(reason));
    for (const l of this.exitListeners) l(reason);
  }

  onExit(listener: (reason: string) => void): void {
    this.exitListeners.push(listener);
  }

  /** One framed request; resolves with the worker's "result" header. */
  private request(header: Record<string, unknown>, chunks: Float32Array[]): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new WorkerCrashedError('worker is not running'));
    if (this.pending !== undefined) return Promise.reject(new Error('worker is busy'));
    const id = this.nextId++;
    const payload = Buffer.alloc(chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const c of chunks) {
      // Float32Array views share the platform's byte order, little-endian on every target we ship.
      payload.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), offset);
      offset += c.byteLength;
    }
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      for (const part of encodeFrame({ ...header, id }, payload)) this.child.stdin.write(part);
    });
  }

  async run(batch: WorkerBatch): Promise<WorkerBatchResult> {
    const reply = await this.request(
      {
        type: 'transcribe',
        wordTimestamps: batch.wordTimestamps,
        items: batch.items.map((i) => ({ samples: i.audio.length, language: i.language })),
      },
      batch.items.map((i) => i.audio),
    );
    const items = (reply['items'] as WireItem[] | undefined) ?? [];
    return { items: batch.items.map((_, i) => itemResult(items[i])), elapsedMs: Number(reply['elapsedMs'] ?? 0) };
  }

  async diarize(
    audio: Float32Array,
    regions: Array<[number, number]>,
    minSpeakers: number,
    maxSpeakers: number,
  ): Promise<WorkerDiarizeResult> {
    const reply = await this.request({ type: 'diarize', regions, minSpeakers, maxSpeakers }, [audio]);
    return { turns: reply['turns'] as WorkerTurn[], elapsedMs: Number(reply['elapsedMs'] ?? 0) };
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Closes stdin so the worker exits on its own; kills it after graceMs. */
  async stop(graceMs: number): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.onExit(() => r()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}
