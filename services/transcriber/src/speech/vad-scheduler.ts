import { SampleBuffer } from '../audio/sample-buffer.js';
import { VAD_CONTEXT, VAD_INPUT, VAD_STATE, VAD_WINDOW, type VadModel } from './vad-model.js';

export interface VadSchedulerOptions {
  /** Windows per lane: a long stream is cut into lanes that run side by side in one batch. */
  laneWindows: number;
  /** Windows run before a lane's first reported one, so its LSTM state has settled. */
  warmupWindows: number;
  maxBatch: number;
}

// 256 windows = 8.2 s per lane; 16 windows (0.5 s) of warm-up costs 6% extra inference.
// Batches past 64 rows gain nothing on CPU (measured: 1,060x realtime at 32, 1,100x at 64-256).
const DEFAULT_VAD_OPTIONS: VadSchedulerOptions = { laneWindows: 256, warmupWindows: 16, maxBatch: 128 };

export interface VadStreamEvents {
  /** Speech probabilities for windows [first, first + probs.length), always in order. */
  onProbs(first: number, probs: Float32Array): void;
  onDone(): void;
  onError(err: unknown): void;
}

interface Lane {
  stream: VadStream;
  /** Next window to run. */
  next: number;
  /** Windows before this one are warm-up: run, not reported. */
  reportFrom: number;
  endWindow: number;
  state: Float32Array;
  fresh: boolean;
}

/** One audio stream's view of the scheduler. */
export class VadStream {
  readonly audio = new SampleBuffer();
  ended = false;
  closed = false;
  probs = new Float32Array(1024);
  private ready = new Uint8Array(1024);
  emitted = 0;
  lanesOpened = 0;
  /** This stream's running lanes, so its watermark never scans every stream's lanes. */
  readonly lanes = new Set<Lane>();
  /** Wall-clock ms of inference attributed to this stream (its share of each batch). */
  busyMs = 0;

  constructor(
    private readonly scheduler: VadScheduler,
    readonly events: VadStreamEvents,
  ) {}

  push(samples: Float32Array): void {
    this.audio.append(samples);
    this.scheduler.wake(this);
  }

  end(): void {
    this.ended = true;
    this.scheduler.wake(this);
  }

  close(): void {
    this.closed = true;
  }

  get totalWindows(): number {
    return Math.ceil(this.audio.length / VAD_WINDOW);
  }

  windowReady(w: number): boolean {
    return (w + 1) * VAD_WINDOW <= this.audio.length || (this.ended && w * VAD_WINDOW < this.audio.length);
  }

  get activeLanes(): number {
    return this.lanes.size;
  }

  record(w: number, p: number): void {
    if (w >= this.probs.length) {
      const size = Math.max(w + 1, this.probs.length * 2);
      const probs = new Float32Array(size);
      probs.set(this.probs);
      const ready = new Uint8Array(size);
      ready.set(this.ready);
      this.probs = probs;
      this.ready = ready;
    }
    this.probs[w] = p;
    this.ready[w] = 1;
  }

  /** Reports the in-order prefix that became complete; true once every window is reported. */
  flush(): boolean {
    const from = this.emitted;
    while (this.emitted < this.probs.length && this.ready[this.emitted] === 1) this.emitted++;
    if (this.emitted > from) this.events.onProbs(from, this.probs.slice(from, this.emitted));
    return this.ended && this.emitted >= this.totalWindows;
  }
}

/**
 * Runs Silero over every open stream in shared batches. Windows of one lane depend on each other
 * through the LSTM state, so a batch holds at most one window per lane; a stream that arrives faster
 * than real time is split into lanes of `laneWindows` that each start from a fresh state (after a
 * short warm-up) and so run side by side. One batched call costs about as much as one single-window
 * call, which is where the throughput comes from.
 */
export class VadScheduler {
  private readonly lanes: Lane[] = [];
  private readonly streams = new Set<VadStream>();
  private running = false;
  private input = new Float32Array(0);
  private stateIn = new Float32Array(0);
  batches = 0;
  windows = 0;

  constructor(
    private readonly model: VadModel,
    private readonly options: VadSchedulerOptions = DEFAULT_VAD_OPTIONS,
  ) {}

  openStream(events: VadStreamEvents): VadStream {
    const stream = new VadStream(this, events);
    this.streams.add(stream);
    return stream;
  }

  /** Lowest sample index the stream's lanes still read: audio before it can be forgotten. */
  lowWatermark(stream: VadStream): number {
    let low = Math.max(0, stream.lanesOpened * this.options.laneWindows - this.options.warmupWindows);
    for (const lane of stream.lanes) low = Math.min(low, lane.next);
    return Math.max(0, low * VAD_WINDOW - VAD_CONTEXT);
  }

  private removeLane(lane: Lane): void {
    const i = this.lanes.indexOf(lane);
    if (i !== -1) this.lanes.splice(i, 1);
    lane.stream.lanes.delete(lane);
  }

  wake(stream: VadStream): void {
    if (stream.closed) return;
    this.openLanes(stream);
    if (stream.ended) {
      // The end of input can retire lanes that were waiting for a window that will never come.
      for (const lane of [...stream.lanes]) if (lane.next >= stream.totalWindows) this.removeLane(lane);
      if (stream.activeLanes === 0 && stream.flush()) this.finish(stream);
    }
    if (!this.running) {
      this.running = true;
      void this.loop();
    }
  }

  private openLanes(stream: VadStream): void {
    const { laneWindows, warmupWindows } = this.options;
    for (;;) {
      const k = stream.lanesOpened;
      const reportFrom = k * laneWindows;
      if (stream.ended && reportFrom >= stream.totalWindows) return;
      const start = Math.max(0, reportFrom - warmupWindows);
      if (!stream.windowReady(start)) return;
      stream.lanesOpened++;
      const lane: Lane = {
        stream,
        next: start,
        reportFrom,
        endWindow: reportFrom + laneWindows,
        state: new Float32Array(2 * VAD_STATE),
        fresh: true,
      };
      this.lanes.push(lane);
      stream.lanes.add(lane);
    }
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const batch = this.lanes
          .filter((l) => !l.stream.closed && l.stream.windowReady(l.next))
          .slice(0, this.options.maxBatch);
        if (batch.length === 0) break;
        await this.runBatch(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: Lane[]): Promise<void> {
    const n = batch.length;
    if (this.input.length < n * VAD_INPUT) {
      this.input = new Float32Array(n * VAD_INPUT * 2);
      this.stateIn = new Float32Array(2 * n * VAD_STATE * 2);
    }
    const input = this.input.subarray(0, n * VAD_INPUT);
    const state = this.stateIn.subarray(0, 2 * n * VAD_STATE);
    batch.forEach((lane, i) => {
      const from = lane.next * VAD_WINDOW;
      const row = input.subarray(i * VAD_INPUT, (i + 1) * VAD_INPUT);
      row.fill(0);
      // A lane's first window has no context, as at the start of a file.
      const ctxFrom = lane.fresh ? from : from - VAD_CONTEXT;
      lane.stream.audio.copyInto(
        row,
        VAD_CONTEXT - (from - ctxFrom),
        ctxFrom,
        Math.min(from + VAD_WINDOW, lane.stream.audio.length),
      );
      state.set(lane.state.subarray(0, VAD_STATE), i * VAD_STATE);
      state.set(lane.state.subarray(VAD_STATE), (n + i) * VAD_STATE);
    });
    const started = performance.now();
    let result: { probs: Float32Array; state: Float32Array };
    try {
      result = await this.model.run(input, state, n);
    } catch (err: unknown) {
      for (const s of new Set(batch.map((l) => l.stream))) this.fail(s, err);
      return;
    }
    const elapsedMs = performance.now() - started;
    this.batches++;
    this.windows += n;
    const touched = new Set<VadStream>();
    batch.forEach((lane, i) => {
      const stream = lane.stream;
      stream.busyMs += elapsedMs / n;
      lane.state.set(result.state.subarray(i * VAD_STATE, (i + 1) * VAD_STATE), 0);
      lane.state.set(result.state.subarray((n + i) * VAD_STATE, (n + i + 1) * VAD_STATE), VAD_STATE);
      lane.fresh = false;
      if (lane.next >= lane.reportFrom) stream.record(lane.next, result.probs[i] as number);
      lane.next++;
      if (lane.next >= lane.endWindow || (stream.ended && lane.next >= stream.totalWindows)) this.removeLane(lane);
      touched.add(stream);
    });
    for (const stream of touched) {
      if (stream.closed) continue;
      this.openLanes(stream);
      if (stream.flush()) this.finish(stream);
    }
  }

  private finish(stream: VadStream): void {
    if (!this.streams.delete(stream)) return;
    stream.events.onDone();
  }

  private fail(stream: VadStream, err: unknown): void {
    const known = this.streams.has(stream);
    this.drop(stream);
    if (known) stream.events.onError(err);
  }

  /** Stops tracking a stream whose request ended early. */
  drop(stream: VadStream): void {
    stream.close();
    for (const lane of [...stream.lanes]) this.removeLane(lane);
    this.streams.delete(stream);
  }
}
