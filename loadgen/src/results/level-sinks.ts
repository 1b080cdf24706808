import type { RequestResult } from './request-result.js';

/** A level's running state, as the live progress line shows it. */
export interface ProgressState {
  level: string;
  done: number;
  /** Requests this level will issue, when known (count or passes); undefined with --duration. */
  total: number | undefined;
  durationMs: number | undefined;
  elapsedMs: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

/*
 * The level runner hands its results to these as they happen; output/ implements them (requests.csv,
 * the progress line), so run/ needs no output module and output/ no run module.
 */

export interface RequestSink {
  write(r: RequestResult): void;
}

export interface ProgressSink {
  update(s: ProgressState): void;
  /** Leaves the last state on screen (TTY) or prints it (plain). */
  finish(s: ProgressState): void;
}
