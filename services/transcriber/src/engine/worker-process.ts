import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { log } from '#common/log.js';
import { encodeFrame, FrameDecoder } from './worker-frames.js';
import {
  parseReply,
  type DiarizeResultReply,
  type ItemAnswer,
  type ResultReply,
  type TranscribeResultReply,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSegment,
  type WorkerSpeakerCount,
  type WorkerTurn,
} from './worker-messages.js';

export type { WorkerSegment, WorkerTurn, WorkerWord } from './worker-messages.js';

export interface EngineDescription {
  backend: string;
  model: string;
  device: string;
  computeType: string;
  languages: string[];
  /** The per-item decoding options the engine honours ("prompt", "temperature"). */
  options: string[];
}

export interface WorkerItem {
  audio: Float32Array;
  /** A Whisper language code, or "" to let the engine detect it. */
  language: string;
  prompt: string;
  temperature: number;
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

function itemResult(wire: ItemAnswer | undefined): WorkerItemResult {
  if (wire === undefined) return { ok: false, error: 'the worker returned no result for this chunk', code: 'internal' };
  if ('error' in wire) return { ok: false, error: wire.error, code: wire.code };
  return { ok: true, segments: wire.segments, language: wire.language, aligned: wire.aligned };
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

export interface WorkerDiarizeResult {
  turns: WorkerTurn[];
  speakerCount: WorkerSpeakerCount | null;
  elapsedMs: number;
}

/** `take` settles the request with a result of the kind it asked for, or says the result is not. */
type Pending = { id: number; take(reply: ResultReply): boolean; reject(e: unknown): void };

/** A request as the caller builds it; `request` numbers it. */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

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
      worker.onReply = (reply) => {
        clearTimeout(timer);
        if (reply.type === 'ready') {
          const e = reply.engine;
          worker.engine = {
            backend: e.backend,
            model: e.model,
            device: e.device,
            computeType: e.compute_type,
            languages: e.languages,
            options: e.options,
          };
          worker.onReply = (r) => worker.handleReply(r);
          resolve(worker);
        } else {
          reject(new WorkerLoadError('message' in reply ? reply.message : 'worker failed to start'));
        }
      };
      worker.onEarlyExit = (reason) => {
        clearTimeout(timer);
        reject(new WorkerCrashedError(reason));
      };
      child.on('error', (err) => worker.handleExit(`cannot start ${options.pythonPath}: ${err.message}`));
      child.stdout.on('data', (b: Buffer) => {
        try {
          for (const f of worker.decoder.push(b)) worker.onReply(parseReply(f.header));
        } catch (err: unknown) {
          worker.breakOff(String(err));
        }
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

  private onReply: (reply: WorkerReply) => void = () => {};
  private onEarlyExit: ((reason: string) => void) | undefined;

  private handleReply(reply: WorkerReply): void {
    const p = this.pending;
    if (p === undefined || !('id' in reply) || reply.id !== p.id) {
      log.warn('worker sent an unexpected frame', { type: reply.type, pid: this.pid });
      return;
    }
    if (reply.type === 'error') {
      this.pending = undefined;
      p.reject(new Error(`worker error: ${reply.message}`));
    } else if (p.take(reply)) this.pending = undefined;
    else this.breakOff(`the worker answered request ${p.id} with a result of the other kind`);
  }

  /** A frame that breaks the protocol: the worker is killed, and its batch may be retried elsewhere. */
  private breakOff(reason: string): void {
    this.child.kill('SIGKILL');
    this.handleExit(`protocol error: ${reason}`);
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

  /** One framed request; resolves with the worker's result when `pick` accepts it as this request's kind. */
  private request<R extends ResultReply>(
    message: Unsent<WorkerRequest>,
    chunks: Float32Array[],
    pick: (reply: ResultReply) => R | undefined,
  ): Promise<R> {
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
      const take = (reply: ResultReply): boolean => {
        const picked = pick(reply);
        if (picked !== undefined) resolve(picked);
        return picked !== undefined;
      };
      this.pending = { id, take, reject };
      const request: WorkerRequest = { ...message, id };
      for (const part of encodeFrame(request, payload)) this.child.stdin.write(part);
    });
  }

  async run(batch: WorkerBatch): Promise<WorkerBatchResult> {
    const reply = await this.request(
      {
        type: 'transcribe',
        wordTimestamps: batch.wordTimestamps,
        items: batch.items.map((i) => ({
          samples: i.audio.length,
          language: i.language,
          prompt: i.prompt,
          temperature: i.temperature,
        })),
      },
      batch.items.map((i) => i.audio),
      (r): TranscribeResultReply | undefined => ('items' in r ? r : undefined),
    );
    return { items: batch.items.map((_, i) => itemResult(reply.items[i])), elapsedMs: reply.elapsedMs };
  }

  async diarize(
    audio: Float32Array,
    regions: Array<[number, number]>,
    minSpeakers: number,
    maxSpeakers: number,
  ): Promise<WorkerDiarizeResult> {
    const reply = await this.request(
      { type: 'diarize', regions, minSpeakers, maxSpeakers },
      [audio],
      (r): DiarizeResultReply | undefined => ('turns' in r ? r : undefined),
    );
    return { turns: reply.turns, speakerCount: reply.speakerCount, elapsedMs: reply.elapsedMs };
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
