import cliProgress from 'cli-progress';
import type { ProgressSink, ProgressState } from '../results/level-sinks.js';

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');

/** Seconds left, from the rate so far (requests) or the clock (--duration). */
export function etaSec(s: ProgressState): number | undefined {
  if (s.durationMs !== undefined) return Math.max(0, (s.durationMs - s.elapsedMs) / 1000);
  if (s.total === undefined || s.done === 0) return undefined;
  return ((s.elapsedMs / s.done) * Math.max(0, s.total - s.done)) / 1000;
}

const requestsText = (s: ProgressState) =>
  s.total === undefined ? `${s.done} requests` : `${s.done}/${s.total} requests`;

export function progressLine(s: ProgressState): string {
  const eta = etaSec(s);
  return `${s.level}: ${requestsText(s)}, ${s.errors} errors, p50 ${ms(s.p50Ms)} ms, p99 ${ms(s.p99Ms)} ms, ETA ${eta === undefined ? '-' : `${eta.toFixed(0)} s`}`;
}

/**
 * One redrawn line on a TTY (cli-progress), or a plain line every `plainEveryMs` otherwise, so a CI
 * log gets a heartbeat without thousands of carriage returns.
 */
export function createLiveProgress(
  mode: 'auto' | 'plain' | 'off',
  stream: NodeJS.WriteStream = process.stderr,
  plainEveryMs = 5000,
): ProgressSink {
  if (mode === 'off') return { update: () => {}, finish: () => {} };
  if (mode === 'auto' && stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{level} [{bar}] {requests} | {errors} errors | p50 {p50} ms, p99 {p99} ms | ETA {eta_formatted}',
        hideCursor: true,
        fps: 5,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const payload = (s: ProgressState) => ({
      level: s.level,
      requests: requestsText(s),
      errors: s.errors,
      p50: ms(s.p50Ms),
      p99: ms(s.p99Ms),
    });
    // With --duration the bar tracks the clock; otherwise requests done.
    const position = (s: ProgressState) =>
      s.durationMs !== undefined
        ? { value: Math.round(s.elapsedMs / 1000), total: Math.round(s.durationMs / 1000) }
        : { value: s.done, total: s.total ?? s.done };
    return {
      update(s) {
        const p = position(s);
        if (!started) {
          bar.start(p.total, p.value, payload(s));
          started = true;
        } else {
          bar.setTotal(p.total);
          bar.update(p.value, payload(s));
        }
      },
      finish(s) {
        this.update(s);
        bar.stop();
        started = false;
      },
    };
  }
  let lastAt = 0;
  return {
    update(s) {
      if (Date.now() - lastAt < plainEveryMs) return;
      lastAt = Date.now();
      stream.write(progressLine(s) + '\n');
    },
    finish(s) {
      lastAt = 0;
      stream.write(progressLine(s) + '\n');
    },
  };
}
