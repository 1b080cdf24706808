import type { FindMaxResult } from '../find-max/search.js';
import type { ThresholdResult } from '../gate/thresholds.js';
import { STAGES } from '../results/level-summary.js';
import { findMaxDoc } from './find-max-output.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import type { RunIdentity } from './run-identity.js';

export interface RunDescription {
  runId: string;
  startedAt: string;
  finishedAt: string;
  target: string;
  /** --protocol: grpc, whisperx-http or openai. */
  protocol: string;
  /** --cost-per-hour, USD; undefined when not given. */
  costPerHourUsd: number | undefined;
  source: string;
  /** e.g. "closed loop, concurrency sweep 1 → 2 → 4". */
  sweep: string;
  exitCode: number;
  aborted: string | undefined;
  config: unknown;
}

const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);

/** summary.json: everything summary.csv has, plus thresholds, identity and full percentile curves. */
export function summaryJson(
  run: RunDescription,
  identity: RunIdentity,
  levels: MeasuredLevel[],
  thresholds: ThresholdResult[],
  findMax?: FindMaxResult,
): string {
  const doc = {
    schema: 'callscribe-loadgen-summary/1',
    ...run,
    aborted: run.aborted ?? null,
    costPerHourUsd: run.costPerHourUsd ?? null,
    ...identity,
    thresholds: {
      passed: thresholds.every((t) => t.passed),
      results: thresholds.map((t) => ({ ...t, actual: finite(t.actual) })),
    },
    ...(findMax === undefined ? {} : { findMax: findMaxDoc(findMax) }),
    levels: levels.map(({ summary: s, curves, run: r }) => ({
      level: s.level,
      schedule: s.schedule,
      startMs: r.startMs,
      endMs: r.endMs,
      requests: s.requests,
      errors: s.errors,
      errorKinds: s.errorKinds,
      wallSec: s.wallSec,
      throughputRps: s.throughputRps,
      audioSec: s.audioSec,
      rtfx: s.rtfx,
      costPerAudioHourUsd: finite(s.costPerAudioHourUsd),
      latencyMs: Object.fromEntries(Object.entries(s.latency).map(([k, v]) => [k, finite(v)])),
      uncorrectedMs: { p50: finite(s.uncorrected.p50), p99: finite(s.uncorrected.p99) },
      ttfsMs: { p50: finite(s.ttfs.p50), p99: finite(s.ttfs.p99) },
      rtf: { p50: finite(s.rtf.p50), p99: finite(s.rtf.p99) },
      percentiles: Object.fromEntries(
        Object.entries(curves).map(([m, pts]) => [m, pts.map(([p, v]) => ({ p, value: finite(v) }))]),
      ),
      // Every stage named: null where the protocol did not report it (not 0).
      serverStagesMeanMs:
        s.stagesMs === undefined ? null : Object.fromEntries(STAGES.map((st) => [st, finite(s.stagesMs?.[st])])),
      wer: finite(s.wer),
      werRecordings: s.werRecordings,
      der: finite(s.der),
      gpuUtilMeanPct: finite(s.gpuUtilMean),
      gpuNote: s.gpuNote,
      scheduleLatenessP99Ms: finite(s.schedulingLatenessP99Ms),
      note: s.lowSampleNote ?? null,
      aborted: s.aborted ?? null,
      thresholds: s.thresholds.map((t) => ({ ...t, actual: finite(t.actual) })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
