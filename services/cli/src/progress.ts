/** Progress across files and the closing summary, on stderr so stdout stays the transcript. */
export class Progress {
  private done = 0;
  private failed = 0;
  private audioSec = 0;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly write: (line: string) => void,
  ) {}

  succeeded(file: string, audioSec: number, elapsedSec: number, wrote: readonly string[]): void {
    this.done++;
    this.audioSec += audioSec;
    const speed = elapsedSec > 0 ? `${(audioSec / elapsedSec).toFixed(1)}x` : '-';
    const into = wrote.length === 0 ? '' : ` → ${wrote.join(', ')}`;
    this.write(
      `[${this.count()}] ${file}: ${audioSec.toFixed(1)} s of audio in ${elapsedSec.toFixed(1)} s (${speed})${into}`,
    );
  }

  failedOn(file: string, message: string): void {
    this.failed++;
    this.write(`[${this.count()}] ${file}: failed: ${message}`);
  }

  get failures(): number {
    return this.failed;
  }

  /** files, audio hours, RTFx (audio time over wall time for the whole run), failures. */
  summary(): string {
    const wallSec = (performance.now() - this.started) / 1000;
    const rtfx = wallSec > 0 && this.audioSec > 0 ? (this.audioSec / wallSec).toFixed(1) : '-';
    return `${this.total} file(s): ${this.done} transcribed, ${this.failed} failed · ${(this.audioSec / 3600).toFixed(3)} h of audio in ${wallSec.toFixed(1)} s · RTFx ${rtfx}`;
  }

  private count(): string {
    return `${this.done + this.failed}/${this.total}`;
  }
}
