import { open, type FileHandle } from 'node:fs/promises';
import { privateTempFile, type PrivateTempFile } from '#common/private-temp.js';
import { invalidArgument } from '#common/service-error.js';

/**
 * A request's bytes written to a private temporary file, for the containers that can only be decoded
 * with seeking. Bounded by `maxBytes` (INVALID_ARGUMENT past it, nothing left behind), and removed
 * by `dispose` whatever happened.
 */
export class FileSpool {
  private temp: PrivateTempFile | undefined;
  private file: FileHandle | undefined;
  private opening: Promise<void> | undefined;
  bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly what: string,
  ) {}

  get path(): string {
    if (this.temp === undefined) throw new Error('the spool was never written');
    return this.temp.path;
  }

  private open(): Promise<void> {
    this.opening ??= (async () => {
      this.temp = await privateTempFile('callscribe-spool');
      // 0600: another user on the host must not read a caller's recording.
      this.file = await open(this.temp.path, 'wx', 0o600);
    })();
    return this.opening;
  }

  async write(bytes: Buffer): Promise<void> {
    this.bytes += bytes.length;
    if (this.bytes > this.maxBytes)
      throw invalidArgument(
        `${this.what} must be held whole before it can be decoded, and this one is over the transcriber's ` +
          `limit of ${this.maxBytes} bytes for that (--max-spool-bytes); re-mux it with the index first ` +
          '(ffmpeg -i in.m4a -c copy -movflags +faststart out.m4a) or send WAV',
      );
    await this.open();
    await this.file?.write(bytes);
  }

  /** Flushes and closes the file; it stays on disk for the decoder until dispose. */
  async close(): Promise<void> {
    await this.open();
    await this.file?.close();
    this.file = undefined;
  }

  async dispose(): Promise<void> {
    await this.opening?.catch(() => {});
    await this.file?.close().catch(() => {});
    this.file = undefined;
    await this.temp?.remove();
  }
}
