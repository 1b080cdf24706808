import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { invalidArgument, unavailable } from '#common/service-error.js';
import { WavStream } from './wav-stream.js';

/** True when an ffmpeg binary answers at `path`; checked once at startup. */
export function ffmpegAvailable(path: string): boolean {
  const r = spawnSync(path, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

/**
 * Decodes any container ffmpeg knows (mp3, flac, ogg, GSM-in-WAV...) by piping the bytes through
 * it as they arrive and reading back 32-bit float WAV at 16 kHz, keeping the channels. Given a
 * `file` instead (a spooled MP4 whose index is at its end), ffmpeg reads that, and `pull` hands the
 * audio over block by block as the consumer asks for it.
 */
export class FfmpegDecoder {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly wav = new WavStream();
  private stderrTail = '';
  private readonly exited: Promise<number | null>;
  private failure: unknown;

  constructor(
    ffmpegPath: string,
    private readonly label: string,
    private readonly onAudio: (planar: Float32Array[], sampleRateHz: number) => void,
    private readonly file?: string,
  ) {
    this.child = spawn(
      ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-i',
        file ?? 'pipe:0',
        '-f',
        'wav',
        '-acodec',
        'pcm_f32le',
        '-ar',
        '16000',
        'pipe:1',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    if (file === undefined) this.child.stdout.on('data', (bytes: Buffer) => this.take(bytes));
    else this.child.stdin.end();
    this.child.stderr.on('data', (b: Buffer) => (this.stderrTail = (this.stderrTail + b.toString()).slice(-2000)));
    // A client that sends garbage makes ffmpeg exit early; its EPIPE is reported through the exit code.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', (err) => reject(unavailable(`cannot run ffmpeg: ${err.message}`)));
      this.child.on('close', (code) => resolve(code));
    });
  }

  private take(bytes: Buffer): void {
    try {
      const r = this.wav.push(bytes);
      if (r.kind === 'audio' && this.wav.format !== undefined) this.onAudio(r.planar, this.wav.format.sampleRateHz);
    } catch (err: unknown) {
      this.failure ??= err;
    }
  }

  /** File input only: decodes one block of ffmpeg's output per step, so a slow consumer pauses ffmpeg. */
  async *pull(): AsyncGenerator<void> {
    if (this.file === undefined) return;
    for await (const bytes of this.child.stdout) {
      this.take(bytes as Buffer);
      yield;
    }
  }

  get channels(): number | undefined {
    return this.wav.format?.channels;
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.child.exitCode !== null) return;
    if (!this.child.stdin.write(bytes)) {
      await Promise.race([new Promise((r) => this.child.stdin.once('drain', r)), this.exited]);
    }
  }

  async end(): Promise<void> {
    if (this.file === undefined) this.child.stdin.end();
    const code = await this.exited;
    if (code !== 0) {
      const reason = this.stderrTail.trim().split('\n').pop() ?? '';
      throw invalidArgument(`ffmpeg could not decode the ${this.label} audio: ${reason || `exit code ${code}`}`);
    }
    if (this.failure !== undefined) throw this.failure;
    this.wav.end();
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
