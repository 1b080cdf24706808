import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { redactText } from '#common/redact.js';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { RunConfig } from './config.js';
import { describeSearch, findMaxExitCode, searchMaxLevel } from './find-max/search-level.js';
import type { FindMaxResult } from './find-max/search.js';
import { EXIT } from './gate/exit-codes.js';
import { levelMeasures } from './gate/level-measures.js';
import { evaluateThresholds, formatThresholdResult, type ThresholdResult } from './gate/thresholds.js';
import { renderReport } from './output/html-report.js';
import { redactRunConfig } from './output/redact-config.js';
import { createLiveProgress } from './output/live-progress.js';
import { prometheusRegistry, pushMetrics } from './output/prometheus-text.js';
import { RequestCsv } from './output/request-csv.js';
import { runIdentity } from './output/run-identity.js';
import { summaryCsv, terminalTable } from './output/summary-table.js';
import { summaryJson, type RunDescription } from './output/summary-json.js';
import { costPerAudioHour, type LevelSummary } from './results/level-summary.js';
import type { MeasuredLevel } from './results/measured-level.js';
import { measureLevel } from './run/measure-level.js';
import { checkProbe, PreflightError } from './run/preflight.js';
import { openProtocol } from './run/protocols/open-protocol.js';
import type { Schedule } from './run/schedule.js';
import { StatsSampler } from './run/stats-sampler.js';
import { CacheRootError } from './source/cache-root.js';
import { readFolder } from './source/local-source.js';
import type { Recording } from './source/recording.js';
import { createS3Client, parseS3Url } from './source/s3-client.js';
import { syncS3 } from './source/s3-source.js';

export interface LoadTestResult {
  runDir: string;
  summaries: LevelSummary[];
  requestsIssued: number;
  /** Per level, how late each open-loop request was launched against its schedule (ms). */
  latenessMs: number[][];
  /** Most requests in flight at once, per level. */
  peakInFlight: number[];
  csvRows: number;
  sourceFailures: string[];
  thresholds: ThresholdResult[];
  /** Why the abort rule stopped the run, when it did. */
  aborted: string | undefined;
  exitCode: number;
  /** Every level as measured, for callers that combine runs (--compare). */
  measured: MeasuredLevel[];
  /** The --find-max search, when one ran. */
  findMax: FindMaxResult | undefined;
}

async function loadRecordings(
  c: RunConfig,
  log: (m: string) => void,
): Promise<{ recordings: Recording[]; failures: string[] }> {
  try {
    if (c.source.startsWith('s3://')) {
      const { bucket, prefix } = parseS3Url(c.source);
      const s3 = createS3Client({
        endpoint: c.s3Endpoint,
        region: c.s3Region,
        forcePathStyle: c.s3PathStyle,
        maxAttempts: 4,
      });
      try {
        const r = await syncS3(s3, {
          bucket,
          prefix,
          extensions: c.extensions,
          cacheDir: c.cacheDir,
          downloadConcurrency: c.downloadConcurrency,
          pageSize: c.s3PageSize,
        });
        const failures = r.outcomes.filter((o) => o.state === 'failed').map((o) => redactText(`${o.key}: ${o.error}`));
        for (const f of failures) log(`skipped ${f}`);
        return { recordings: r.recordings, failures };
      } finally {
        s3.destroy();
      }
    }
    return { recordings: await readFolder(c.source, c.extensions), failures: [] };
  } catch (err: unknown) {
    const hint =
      err instanceof CacheRootError
        ? 'check --cache-dir'
        : c.source.startsWith('s3://')
          ? 'check --source, --s3-endpoint, --s3-region and the AWS credentials'
          : 'check --source';
    throw new PreflightError(
      redactText(`preflight: cannot list ${c.source}: ${err instanceof Error ? err.message : String(err)}; ${hint}`),
    );
  }
}

const smallest = (recordings: Recording[]) => recordings.reduce((a, b) => (b.bytes < a.bytes ? b : a));

const describeSweep = (c: RunConfig, levels: number[]): string =>
  c.rate > 0
    ? `open loop, ${c.arrival} arrivals at ${levels.map((l) => `${l}/s`).join(' → ')}${levels.length > 1 ? ' (rate sweep)' : ''}`
    : `closed loop, concurrency ${levels.join(' → ')}${levels.length > 1 ? ' (concurrency sweep)' : ''}`;

/** Preflight → source → levels → measurements → results/<run-id>/ (CSV, JSON, .hlog, metrics.prom, HTML). */
export async function runLoadTest(
  c: RunConfig,
  log: (m: string) => void = (m) => process.stderr.write(redactText(m) + '\n'),
  signal = new AbortController().signal,
): Promise<LoadTestResult> {
  const startedAt = new Date();
  const protocol = openProtocol(c);
  let recordings: Recording[];
  let failures: string[];
  try {
    // The target first: a dead address should fail in seconds, before any S3 download.
    if (c.preflight) await protocol.checkTarget(c.preflightTimeoutMs);
    ({ recordings, failures } = await loadRecordings(c, log));
    if (recordings.length === 0)
      throw new PreflightError(
        `preflight: no audio files (${c.extensions.join(', ')}) found in ${c.source}; check --source and --ext`,
      );
  } catch (err: unknown) {
    protocol.close();
    throw err;
  }
  const runDir = resolve(c.out, c.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(
    join(runDir, 'config.json'),
    JSON.stringify({ ...recordedConfig(c), recordings: recordings.length, sourceFailures: failures }, null, 2) + '\n',
  );
  const audioCache = new Map<string, Promise<Buffer>>();
  const load = (r: Recording) => {
    let p = audioCache.get(r.path);
    if (p === undefined) {
      p = readFile(r.path);
      audioCache.set(r.path, p);
    }
    return p;
  };

  let engine: EngineInfo | undefined;
  if (c.preflight) {
    const probeRec = smallest(recordings);
    log(
      `preflight: ${c.target} is ${c.protocol === 'grpc' ? 'SERVING' : 'up'}; ${recordings.length} recordings; probing with ${probeRec.name} (${(await stat(probeRec.path)).size} bytes)`,
    );
    const probe = await protocol.send(
      probeRec,
      await load(probeRec),
      { intendedStartMs: Date.now(), level: 'preflight', index: -1, warmup: true },
      'max',
    );
    try {
      checkProbe(c.target, probe);
    } catch (err: unknown) {
      protocol.close();
      throw err;
    }
    engine = probe.final?.engine ?? probe.answer?.engine;
  }
  const sampler = new StatsSampler(
    protocol.statsClient,
    join(runDir, 'server-stats.csv'),
    c.statsIntervalMs,
    `not measured: --protocol ${c.protocol} has no server stats`,
  );
  const csv = new RequestCsv(join(runDir, 'requests.csv'), c.diarization);
  const progress = createLiveProgress(c.progress);
  const levels = c.sweep.length > 0 ? c.sweep.map(Number) : [c.rate > 0 ? c.rate : c.concurrency];
  const measured: MeasuredLevel[] = [];
  const thresholds: ThresholdResult[] = [];
  let aborted: string | undefined;
  const measureAt = async (name: string, value: number): Promise<MeasuredLevel> => {
    const schedule: Schedule =
      c.rate > 0
        ? { kind: 'open', ratePerSec: value, arrival: c.arrival, maxInFlight: c.maxInFlight }
        : { kind: 'closed', concurrency: value };
    const m = await measureLevel(name, schedule, {
      protocol,
      pace: c.pace,
      recordings,
      load,
      stop: {
        ...(c.count > 0 ? { count: c.count } : {}),
        ...(c.durationSec > 0 ? { durationMs: c.durationSec * 1000 } : {}),
        passes: c.passes,
      },
      warmup: c.warmup,
      seed: c.seed,
      abortRule: { maxErrorRate: c.abortErrorRate, minRequests: c.abortMinRequests },
      backoffMaxMs: c.backoffMaxMs,
      sampler,
      results: csv,
      progress,
      runDir,
      signal,
    });
    m.summary.costPerAudioHourUsd = costPerAudioHour(c.costPerHour, m.summary.rtfx);
    m.summary.thresholds = evaluateThresholds([...c.findMax, ...c.thresholds], levelMeasures(m));
    for (const t of m.summary.thresholds) log(formatThresholdResult(t));
    thresholds.push(...m.summary.thresholds);
    measured.push(m);
    return m;
  };
  let findMax: FindMaxResult | undefined;
  sampler.start();
  try {
    if (c.findMax.length > 0) findMax = await searchMaxLevel(c, measureAt, log, signal);
    else
      for (const value of levels) {
        const m = await measureAt(c.rate > 0 ? `rate${value}` : `c${value}`, value);
        if (m.summary.aborted !== undefined) {
          aborted = `${m.name}: ${m.summary.aborted}`;
          log(`aborting the run at ${aborted}; the remaining levels are skipped`);
          break;
        }
        if (signal.aborted) break;
      }
  } finally {
    await sampler.stop();
    await csv.close();
    protocol.close();
  }
  const summaries = measured.map((m) => m.summary);
  engine ??= measured.find((m) => m.engine !== undefined)?.engine;
  const exitCode =
    findMax !== undefined
      ? findMaxExitCode(findMax)
      : thresholds.some((t) => !t.passed)
        ? EXIT.thresholdsFailed
        : aborted !== undefined || summaries.some((s) => s.errors > 0)
          ? EXIT.requestsFailed
          : EXIT.ok;
  const identity = runIdentity(engine);
  const description: RunDescription = {
    runId: c.runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    target: c.target,
    protocol: c.protocol,
    costPerHourUsd: c.costPerHour > 0 ? c.costPerHour : undefined,
    source: c.source,
    sweep: findMax === undefined ? describeSweep(c, levels) : describeSearch(c, findMax),
    exitCode,
    aborted,
    config: recordedConfig(c),
  };
  const registry = prometheusRegistry(c.runId, identity, measured);
  const prom = await registry.metrics();
  await writeFile(join(runDir, 'summary.csv'), summaryCsv(summaries));
  await writeFile(join(runDir, 'summary.json'), summaryJson(description, identity, measured, thresholds, findMax));
  await writeFile(join(runDir, 'metrics.prom'), prom);
  await writeFile(
    join(runDir, 'report.html'),
    renderReport({
      title: `callscribe load test ${c.runId}`,
      run: description,
      identity,
      levels: measured,
      stats: sampler.samples,
      gpuNote: sampler.gpuNote,
      thresholds,
      findMax,
    }),
  );
  if (c.pushgateway !== '') {
    try {
      await pushMetrics(c.pushgateway, c.runId, registry);
      log(
        `pushed ${prom.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length} samples to ${c.pushgateway}`,
      );
    } catch (err: unknown) {
      // The results are on disk either way; a dashboard that missed one run is not a failed test.
      log(`warning: could not push to --pushgateway: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    runDir,
    summaries,
    requestsIssued: measured.reduce((n, m) => n + m.run.issued, 0),
    latenessMs: measured.map((m) => m.run.latenessMs),
    peakInFlight: measured.map((m) => Math.max(0, ...m.run.timeline.map((t) => t.inFlight))),
    csvRows: csv.rows,
    sourceFailures: failures,
    thresholds,
    aborted,
    exitCode,
    measured,
    findMax,
  };
}

export { terminalTable };

/**
 * The configuration as written to config.json and the report: a sweep replaces --concurrency (closed
 * loop) or --rate (open loop), so that field names the sweep instead of showing a default that never
 * applied; then secrets are taken out (redact-config.ts).
 */
function recordedConfig(c: RunConfig): Record<string, unknown> {
  const swept = `swept: ${c.sweep.join(', ')}`;
  const shown = c.sweep.length === 0 ? { ...c } : c.rate > 0 ? { ...c, rate: swept } : { ...c, concurrency: swept };
  // --find-max chooses the concurrency itself (a rate search starts at --rate, which stays as given).
  if (c.findMax.length > 0 && c.rate === 0) shown.concurrency = 'searched (--find-max)';
  return redactRunConfig(shown);
}
