import type { Readable, Writable } from 'node:stream';
import { deadlineExceeded } from './service-error.js';

export interface ReadOptions {
  /** Messages waiting before the stream is paused (HTTP/2 flow control then holds the client back). */
  highWater?: number;
  /** Audio bytes waiting before the stream is paused: 16 messages of 16 MiB would be 256 MiB. */
  highWaterBytes?: number;
  /** Longest wait for the client's next message, once we are ready for it; 0 = no limit. */
  idleTimeoutMs?: number;
  /**
   * Least the client must send, in audio bytes per second averaged over each window of `windowMs`
   * that we spent ready for more (windows we paused ourselves do not count); 0 = no limit.
   */
  minBytesPerSec?: number;
  windowMs?: number;
}

/** Bytes a message holds: a raw message, or an AudioStreamRequest's audio. */
function messageBytes(msg: unknown): number {
  if (Buffer.isBuffer(msg)) return msg.length;
  const payload = (msg as { payload?: { $case?: string; audio?: unknown } } | undefined)?.payload;
  return payload?.$case === 'audio' && Buffer.isBuffer(payload.audio) ? payload.audio.length : 0;
}

/**
 * Reads a gRPC object stream as an async iterable with backpressure (the stream is paused while
 * `highWater` messages or `highWaterBytes` wait), ending early on abort, and failing with
 * DEADLINE_EXCEEDED when the client sends nothing for `idleTimeoutMs` while we wait for it. Unlike
 * Readable's own iterator, breaking out of the loop does not destroy the call, so a status can
 * still be sent afterwards.
 */
export function readMessages<T>(stream: Readable, signal: AbortSignal, options: ReadOptions = {}): AsyncIterable<T> {
  const highWater = options.highWater ?? 16;
  const highWaterBytes = options.highWaterBytes ?? 4 * 1024 * 1024;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const minBytesPerSec = options.minBytesPerSec ?? 0;
  const windowMs = options.windowMs ?? 30_000;
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let queuedBytes = 0;
      let ended = false;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      // The upload-rate window: bytes since it opened; undefined while we hold the stream paused.
      let windowStart: number | undefined = performance.now();
      let windowBytes = 0;
      // Checked as messages arrive: a trickling client keeps sending, and one that stops is the idle
      // limit's, so no timer per call is needed.
      const checkRate = () => {
        if (minBytesPerSec <= 0 || windowStart === undefined) return;
        const elapsed = performance.now() - windowStart;
        if (elapsed < windowMs) return;
        // Nothing at all is the idle limit's to report (it says so more plainly); this is for the trickle.
        if (windowBytes > 0 && windowBytes < (minBytesPerSec * elapsed) / 1000)
          onError(
            deadlineExceeded(
              `the client sent ${windowBytes} bytes of audio in ${(elapsed / 1000).toFixed(1)} s, under the server's minimum of ${minBytesPerSec} bytes/s; send audio as it is captured, or the file at once`,
            ),
          );
        windowStart = performance.now();
        windowBytes = 0;
      };
      const pause = () => {
        stream.pause();
        windowStart = undefined;
      };
      const resume = () => {
        stream.resume();
        if (windowStart === undefined) {
          windowStart = performance.now();
          windowBytes = 0;
        }
      };
      const onData = (msg: T) => {
        const bytes = messageBytes(msg);
        queue.push(msg);
        queuedBytes += bytes;
        windowBytes += bytes;
        checkRate();
        if (queue.length >= highWater || queuedBytes >= highWaterBytes) pause();
        notify();
      };
      const onEnd = () => {
        ended = true;
        notify();
      };
      const onError = (err: unknown) => {
        failure ??= err;
        notify();
      };
      const onAbort = () => onError(signal.reason);
      const cleanup = () => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      const waitForClient = async () => {
        // The timer runs only while we wait on the client: a stream we paused ourselves is not idle.
        const timer =
          idleTimeoutMs > 0
            ? setTimeout(
                () =>
                  onError(
                    deadlineExceeded(
                      `no message from the client for ${idleTimeoutMs / 1000} s (the server's idle stream limit); send audio as it comes, or end the stream`,
                    ),
                  ),
                idleTimeoutMs,
              )
            : undefined;
        try {
          await new Promise<void>((resolve) => (wake = resolve));
        } finally {
          clearTimeout(timer);
        }
      };
      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (failure !== undefined) {
              cleanup();
              throw failure;
            }
            const msg = queue.shift();
            if (msg !== undefined) {
              queuedBytes -= messageBytes(msg);
              if (queue.length < highWater / 2 && queuedBytes < highWaterBytes / 2 && stream.isPaused()) resume();
              return { value: msg, done: false };
            }
            if (ended) {
              cleanup();
              return { value: undefined, done: true };
            }
            if (stream.isPaused()) resume();
            await waitForClient();
          }
        },
        async return(): Promise<IteratorResult<T>> {
          cleanup();
          // A next() still waiting (another task reading the same stream) ends instead of hanging.
          ended = true;
          notify();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * Writes one message, waiting for 'drain' when the transport's buffer is full; a client that reads
 * nothing for `stallTimeoutMs` (0 = no limit) fails the call instead of holding its buffers.
 */
export async function writeMessage<T>(
  stream: Writable,
  msg: T,
  signal: AbortSignal,
  stallTimeoutMs = 0,
): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (stream.write(msg)) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    const timer =
      stallTimeoutMs > 0
        ? setTimeout(() => {
            done();
            reject(
              deadlineExceeded(
                `the client read no response for ${stallTimeoutMs / 1000} s (the server's write stall limit)`,
              ),
            );
          }, stallTimeoutMs)
        : undefined;
    stream.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
