import { readFileSync } from 'node:fs';
import type { ServiceError } from '@grpc/grpc-js';
import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { streamAudio, type OpenStream } from '#client/stream-audio.js';

export interface OpenLoopOutcome {
  /** gRPC status code; 0 = OK. */
  code: number;
  /** From the intended start (coordinated-omission safe), not from when the request was sent. */
  latencyMs: number;
  retryAfterMs: number | undefined;
}

export interface OpenLoopOptions {
  open: OpenStream;
  audio: Buffer;
  /** Requests per second, constant arrivals. */
  rate: number;
  count: number;
  deadlineMs: number;
  config?: Partial<TranscriptionConfig>;
}

/**
 * Sends `count` requests at a fixed rate whatever happens to earlier ones (an open loop, like
 * wrk2 or k6's constant-arrival-rate), and reports each one's status and latency.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopOutcome[]> {
  const started = performance.now();
  const intervalMs = 1000 / options.rate;
  return Promise.all(
    Array.from({ length: options.count }, async (_, i) => {
      const intended = started + i * intervalMs;
      const wait = intended - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        await streamAudio(options.open, options.audio, {
          deadlineMs: options.deadlineMs,
          ...(options.config === undefined ? {} : { config: options.config }),
        });
        return { code: 0, latencyMs: performance.now() - intended, retryAfterMs: undefined };
      } catch (err: unknown) {
        const e = err as Partial<ServiceError>;
        const hint = Number(e.metadata?.get('retry-after-ms')[0]);
        return {
          code: typeof e.code === 'number' ? e.code : -1,
          latencyMs: performance.now() - intended,
          retryAfterMs: Number.isFinite(hint) ? hint : undefined,
        };
      }
    }),
  );
}

/** Resident memory of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Samples a value every `everyMs` until stopped, keeping the peak. */
export function peakSampler(read: () => number, everyMs = 50): { stop(): number } {
  let peak = read();
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, read());
    } catch {
      // The process ended between samples.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
