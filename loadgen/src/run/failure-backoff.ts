/**
 * Exponential backoff with jitter after the target fails (as Temporal's client retries): a
 * transcriber outage otherwise produced ~80 failed requests per second. Statuses that say the
 * target is down or overloaded count; a bad file (INVALID_ARGUMENT) or a slow one does not.
 */
const TARGET_DOWN = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNKNOWN', 'ABORTED']);

export class FailureBackoff {
  private consecutive = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  record(status: string): void {
    if (status === 'OK') this.consecutive = 0;
    else if (TARGET_DOWN.has(status)) this.consecutive++;
  }

  /** How long to wait before the next request: 0 while the target answers. */
  delayMs(): number {
    if (this.consecutive === 0 || this.maxMs === 0) return 0;
    const full = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(30, this.consecutive - 1));
    return full / 2 + (this.random() * full) / 2;
  }

  /** Waits out the delay, but never past `untilMs` (the level's end) or an abort. */
  wait(signal: AbortSignal, untilMs = Infinity): Promise<void> {
    const ms = Math.min(this.delayMs(), Math.max(0, untilMs - Date.now()));
    if (ms === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }
}
