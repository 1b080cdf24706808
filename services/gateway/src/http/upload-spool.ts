import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { privateTempFile } from '#common/private-temp.js';

export interface SpooledFile {
  open(): Readable;
  remove(): Promise<void>;
}

/**
 * Writes an upload to a private temporary file, for the one case where the audio cannot be streamed:
 * an OpenAI form whose `language` may still follow the file part (the SDKs send fields in the order
 * of the caller's object, usually file first), while the transcriber needs it before any audio.
 * Disk, not memory; the file is removed however the request ends.
 */
export async function spoolUpload(audio: Readable, signal: AbortSignal): Promise<SpooledFile> {
  const { path, remove } = await privateTempFile('callscribe-upload');
  try {
    await pipeline(audio, createWriteStream(path), { signal });
  } catch (err: unknown) {
    await remove();
    throw signal.aborted ? signal.reason : err;
  }
  return { open: () => createReadStream(path, { highWaterMark: 64 * 1024 }), remove };
}
