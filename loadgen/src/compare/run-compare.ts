import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { redactText } from '#common/redact.js';
import type { RunConfig } from '../config.js';
import { EXIT } from '../gate/exit-codes.js';
import { runLoadTest, type LoadTestResult } from '../load-test.js';
import { redactRunConfig } from '../output/redact-config.js';
import { pooledFigures, ratios, roundFigures, spread, type ArmFigures } from './arm-figures.js';
import { compareDoc, compareReport } from './compare-output.js';
import { armConfig, checkArms, parseCompare, type CompareSpec } from './compare-keys.js';

export interface RoundRun {
  round: number;
  arm: 0 | 1;
  /** Where the round's own results (CSV, summary.json, report) are. */
  runDir: string;
  result: LoadTestResult;
  figures: ArmFigures;
}

export interface ArmResult {
  label: string;
  pooled: ArmFigures;
  rounds: RoundRun[];
  spread: ReturnType<typeof spread>;
}

export interface CompareResult {
  runDir: string;
  spec: CompareSpec;
  arms: [ArmResult, ArmResult];
  ratios: ReturnType<typeof ratios>;
  /** Arm order per round, e.g. ["AB", "BA", "AB"]. */
  order: string[];
  aborted: string | undefined;
  exitCode: number;
}

const ARM = ['A', 'B'] as const;

/**
 * --compare: two arms, interleaved round by round (A B, then B A, ...) so that drift on a shared
 * machine (another job, a warming cache) falls on both; each round is one level run per arm, written
 * to <run>/rounds/round<N>-<a|b>/, and the arms are put side by side in <run>/summary.json and report.html.
 */
export async function runCompare(
  c: RunConfig,
  log: (m: string) => void = (m) => process.stderr.write(redactText(m) + '\n'),
  signal = new AbortController().signal,
): Promise<CompareResult> {
  const spec = parseCompare(c.compare);
  checkArms(c, spec);
  const runDir = resolve(c.out, c.runId);
  await mkdir(join(runDir, 'rounds'), { recursive: true });
  const startedAt = new Date().toISOString();
  const runs: RoundRun[] = [];
  const order: string[] = [];
  let aborted: string | undefined;
  rounds: for (let round = 1; round <= c.rounds; round++) {
    const arms: Array<0 | 1> = round % 2 === 1 ? [0, 1] : [1, 0];
    order.push(arms.map((a) => ARM[a]).join(''));
    for (const arm of arms) {
      log(`compare: round ${round}/${c.rounds}, arm ${ARM[arm]} (${spec.key}=${spec.labels[arm]})`);
      const result = await runLoadTest(
        {
          ...armConfig(c, spec, arm),
          out: join(runDir, 'rounds'),
          runId: `round${round}-${ARM[arm].toLowerCase()}`,
          // Each arm's target and config are checked once, before its first level.
          preflight: c.preflight && round === 1,
        },
        log,
        signal,
      );
      const level = result.measured[0];
      if (level !== undefined)
        runs.push({ round, arm, runDir: result.runDir, result, figures: roundFigures(level.summary) });
      if (result.aborted !== undefined) aborted = `round ${round} arm ${ARM[arm]}: ${result.aborted}`;
      if (aborted !== undefined || signal.aborted) break rounds;
    }
  }
  const armResult = (arm: 0 | 1): ArmResult => {
    const rounds = runs.filter((r) => r.arm === arm);
    return {
      label: spec.labels[arm],
      pooled: pooledFigures(rounds.flatMap((r) => r.result.measured)),
      rounds,
      spread: spread(rounds.map((r) => r.figures)),
    };
  };
  const arms: [ArmResult, ArmResult] = [armResult(0), armResult(1)];
  const codes = runs.map((r) => r.result.exitCode);
  const exitCode = codes.includes(EXIT.thresholdsFailed)
    ? EXIT.thresholdsFailed
    : aborted !== undefined
      ? EXIT.requestsFailed
      : (codes.find((x) => x !== EXIT.ok) ?? EXIT.ok);
  const result: CompareResult = {
    runDir,
    spec,
    arms,
    ratios: ratios(arms[0].pooled, arms[1].pooled),
    order,
    aborted,
    exitCode,
  };
  const run = {
    runId: c.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    source: c.source,
    config: redactRunConfig({ ...c }),
  };
  await writeFile(join(runDir, 'summary.json'), JSON.stringify(compareDoc(run, result), null, 2) + '\n');
  await writeFile(join(runDir, 'report.html'), compareReport(run, result));
  return result;
}
