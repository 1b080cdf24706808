import { cpus } from 'node:os';

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, Node ${process.version}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length / 2;
  return s.length % 2 === 1 ? (s[Math.floor(mid)] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Runs fn and returns [wall ms, process CPU ms] (every thread: ORT's pool and libuv included). */
export async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * BENCH_SMOKE=1: every bench runs its whole path on the smallest input and reports no figures, so
 * test/bench-smoke.test.ts can show in seconds that each still works (a bench that is never run rots).
 */
export const SMOKE = process.env['BENCH_SMOKE'] === '1';

/** The line a smoke run ends with instead of its figures; the smoke test looks for it. */
export const SMOKE_MARKER = 'smoke run: figures not measured';

/**
 * A numeric setting: the environment's value if set, else the bench's default. A smoke run takes its
 * own size whatever the environment says, so a variable left exported cannot make the test slow.
 */
export function setting(name: string, full: number, smoke: number): number {
  if (SMOKE) return smoke;
  const given = process.env[name];
  return given !== undefined && given !== '' ? Number(given) : full;
}

/** The full value, or the smoke one under BENCH_SMOKE=1 (for inputs that are not environment settings). */
export function sized<T>(full: T, smoke: T): T {
  return SMOKE ? smoke : full;
}

/** Writes figures to stdout; a smoke run's figures mean nothing, so it keeps them to itself. */
export function report(text: string): void {
  if (!SMOKE) process.stdout.write(text);
}

/** Progress with figures in it, on stderr; silent in a smoke run for the same reason as report. */
export function progress(text: string): void {
  if (!SMOKE) process.stderr.write(text);
}

/** The last call of every bench: under BENCH_SMOKE=1 it prints SMOKE_MARKER, which says the whole path ran. */
export function finished(): void {
  if (SMOKE) process.stdout.write(`${SMOKE_MARKER}\n`);
}
