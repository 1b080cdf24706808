#!/usr/bin/env node
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIALOGUES } from '../corpus/dialogues.js';

/**
 * scripts/test-compose.sh's verdict on what the compose stack left in its results folder:
 * `check-results-main RESULTS_DIR LEVELS`. Every level of the loadgen run must have sent each seeded
 * recording once with no error and scored WER from the references that came through S3; the seed's
 * curl through the gateway's HTTP endpoint must have answered a transcript (or been skipped by a
 * gateway that says it does not serve HTTP yet). Prints what it checked; exits 1 on the first miss.
 */
const [resultsDir, levelsArg] = process.argv.slice(2);
if (resultsDir === undefined || levelsArg === undefined) {
  process.stderr.write('usage: check-results-main RESULTS_DIR LEVELS (e.g. 1,2)\n');
  process.exit(2);
}

interface Level {
  level: string;
  requests: number;
  errors: number;
  wer: number | null;
  rtf: { p50: number | null };
}
interface Summary {
  exitCode: number;
  thresholds: { passed: boolean };
  levels: Level[];
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
  process.stdout.write(`  ok: ${message}\n`);
}

/** Any `sentence` string anywhere in the upload endpoint's answer, whatever its nesting. */
function sentences(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(sentences);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'sentence' && typeof v === 'string' ? [v] : sentences(v)));
}

async function checkLoadgen(dir: string, levels: string[]): Promise<void> {
  const runs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  check(runs.length === 1, `one loadgen run folder in ${dir} (found ${runs.length})`);
  const runDir = join(dir, (runs[0] as { name: string }).name);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as Summary;
  const recordings = DIALOGUES.length * 2; // each dialogue: a stereo mu-law and a mono 16 kHz file
  check(summary.exitCode === 0 && summary.thresholds.passed, 'loadgen exit code 0, thresholds passed');
  // Closed-loop levels are named c<concurrency> (loadgen/src/load-test.ts).
  const swept = summary.levels.map((l) => l.level).join(',');
  check(swept === levels.map((n) => `c${n}`).join(','), `levels ${swept} as swept`);
  for (const l of summary.levels) {
    check(l.requests === recordings && l.errors === 0, `level ${l.level}: ${l.requests} requests, ${l.errors} errors`);
    check(l.wer !== null && l.wer < 0.9, `level ${l.level}: WER ${l.wer?.toFixed(3)} against the seeded references`);
    check(l.rtf.p50 !== null && l.rtf.p50 > 0, `level ${l.level}: RTF p50 ${l.rtf.p50?.toFixed(3)}`);
  }
  const csv = (await readFile(join(runDir, 'requests.csv'), 'utf8')).trim().split('\n');
  check(csv.length - 1 === recordings * levels.length, `requests.csv: ${csv.length - 1} rows, one per request`);
}

async function checkSeedCurl(dir: string): Promise<void> {
  const skipped = await readFile(join(dir, 'seed-curl.skipped'), 'utf8').catch(() => undefined);
  if (skipped !== undefined) {
    process.stdout.write(`  skipped: seed curl: ${skipped.trim()}\n`);
    return;
  }
  const answer = JSON.parse(await readFile(join(dir, 'seed-curl.json'), 'utf8')) as unknown;
  const debug = (answer as { debug?: { audio_duration_sec?: unknown } }).debug;
  check(
    typeof debug?.audio_duration_sec === 'number' && debug.audio_duration_sec > 0,
    `seed curl: debug.audio_duration_sec ${String(debug?.audio_duration_sec)}`,
  );
  const text = sentences(answer).join(' ').trim();
  check(text.length > 0, `seed curl: transcript "${text.slice(0, 60)}..."`);
}

try {
  await checkLoadgen(join(resultsDir, 'loadgen'), levelsArg.split(','));
  await checkSeedCurl(resultsDir);
} catch (err: unknown) {
  process.stderr.write(`test:compose: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
