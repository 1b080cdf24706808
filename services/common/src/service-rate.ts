/**
 * How fast a server finishes requests while it has work: completions per second of busy time, both
 * decayed with a half-life, so the figure follows the engine and the machine's load. Idle time is not
 * counted, so a lightly loaded server reads its per-request service rate, and a saturated one its
 * throughput. Admission turns it into the time a new request would take.
 */
export class ServiceRate {
  private busyMs = 0;
  private completions = 0;
  private lastMs: number;
  private running = 0;
  private seen = 0;

  constructor(
    private readonly halfLifeMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastMs = now();
  }

  private advance(): void {
    const t = this.now();
    const elapsed = t - this.lastMs;
    const keep = 0.5 ** (elapsed / this.halfLifeMs);
    this.busyMs = this.busyMs * keep + (this.running > 0 ? elapsed : 0);
    this.completions *= keep;
    this.lastMs = t;
  }

  started(): void {
    this.advance();
    this.running++;
  }

  finished(): void {
    this.advance();
    this.running = Math.max(0, this.running - 1);
    this.completions++;
    this.seen++;
  }

  /** Requests finished per second of busy time; undefined until a few have finished. */
  get perSec(): number | undefined {
    this.advance();
    // Fewer than three is a guess, not a measurement.
    if (this.seen < 3 || this.busyMs <= 0) return undefined;
    return this.completions / (this.busyMs / 1000);
  }

  /**
   * When a request admitted now would finish: with requests sharing the engine round-robin, after
   * those running now and itself, (running + 1) / rate. Undefined before the rate is measured.
   */
  expectedFinishMs(): number | undefined {
    const rate = this.perSec;
    return rate === undefined ? undefined : (1000 * (this.running + 1)) / rate;
  }
}
