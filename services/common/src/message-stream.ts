import type { Readable, Writable } from 'node:stream';

/**
 * Reads a gRPC object stream as an async iterable with backpressure (the stream is paused while
 * `highWater` messages wait), ending early on abort. Unlike Readable's own iterator, breaking out
 * of the loop does not destroy the call, so a status can still be sent afterwards.
 */
export function readMessages<T>(stream: Readable, signal: AbortSignal, highWater = 16): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let ended = false;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const onData = (msg: T) => {
        queue.push(msg);
        if (queue.length >= highWater) stream.pause();
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
      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (failure !== undefined) {
              cleanup();
              throw failure;
            }
            const msg = queue.shift();
            if (msg !== undefined) {
              if (queue.length < highWater / 2 && stream.isPaused()) stream.resume();
              return { value: msg, done: false };
            }
            if (ended) {
              cleanup();
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => (wake = resolve));
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

/** Writes one message, waiting for 'drain' when the transport's buffer is full. */
export async function writeMessage<T>(stream: Writable, msg: T, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (stream.write(msg)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      stream.off('drain', onDrain);
      reject(signal.reason);
    };
    stream.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
