import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findMax, type SearchRule } from '../../loadgen/src/find-max/search.js';
import {
  judgeLevel,
  spreadPercent,
  type StabilityRule,
  type WindowFigures,
} from '../../loadgen/src/find-max/stability.js';

const RULE: StabilityRule = { stabilityPercent: 10, windows: 3, maxWindows: 10 };

const win = (throughputRps: number, latencyMeanMs: number | undefined, thresholdsPassed = true, aborted = false) => ({
  name: 'w',
  throughputRps,
  latencyMeanMs,
  thresholdsPassed,
  aborted,
});

describe('find-max: stability of a level (perf_analyzer: max/min of the last 3 windows)', () => {
  it('measures the spread as max/min - 1', () => {
    assert.equal(spreadPercent([100, 105, 110]), 10.000000000000009);
    assert.equal(spreadPercent([0, 0, 0]), 0);
    assert.equal(spreadPercent([0, 1, 1]), Infinity);
  });

  it('keeps measuring until 3 windows agree on throughput and mean latency', () => {
    assert.deepEqual(judgeLevel([], RULE), { kind: 'measuring' });
    assert.deepEqual(judgeLevel([win(10, 100), win(10, 100)], RULE), { kind: 'measuring' });
    // Throughput agrees, latency does not (20% apart): not yet.
    assert.deepEqual(judgeLevel([win(10, 100), win(10, 120), win(10, 100)], RULE), { kind: 'measuring' });
    // The last three agree: only they are judged, the unsettled first window is not.
    const s = judgeLevel([win(5, 300), win(10, 100), win(10.5, 105), win(10.2, 109)], RULE);
    assert.equal(s.kind, 'done');
    assert.equal(s.kind === 'done' && s.verdict, 'pass');
    assert.ok(s.kind === 'done' && (s.latencySpreadPct as number) <= 10);
  });

  it('fails a stable level when a threshold failed in any of its stable windows', () => {
    const s = judgeLevel([win(10, 100), win(10, 101, false), win(10, 102)], RULE);
    assert.equal(s.kind === 'done' && s.verdict, 'fail');
  });

  it('calls a level unstable after --max-windows, and fails at once when the abort rule stopped a window', () => {
    const swinging = Array.from({ length: 10 }, (_, i) => win(10, i % 2 === 0 ? 100 : 150));
    assert.deepEqual(judgeLevel(swinging.slice(0, 9), RULE), { kind: 'measuring' });
    assert.equal(
      judgeLevel(swinging, RULE).kind === 'done' && (judgeLevel(swinging, RULE) as { verdict: string }).verdict,
      'unstable',
    );
    const s = judgeLevel([win(10, 100, true, true)], RULE);
    assert.equal(s.kind === 'done' && s.verdict, 'fail');
  });

  it('treats a level where nothing succeeded consistently as stable and failed', () => {
    const s = judgeLevel([win(0, undefined, false), win(0, undefined, false), win(0, undefined, false)], RULE);
    assert.equal(s.kind === 'done' && s.verdict, 'fail');
  });
});

/** A scripted server: latency grows with load past `capacity`; windows jitter by `jitter` (cycled). */
function scripted(capacity: number, limitMs: number, jitter: number[] = [1]) {
  const calls: Array<[number, number]> = [];
  let i = 0;
  const measure = async (value: number, window: number): Promise<WindowFigures> => {
    calls.push([value, window]);
    const j = jitter[i++ % jitter.length] as number;
    const latency = 1000 * Math.max(1, value / capacity) * j;
    return win(Math.min(value, capacity), latency, latency < limitMs);
  };
  return { calls, measure };
}

const CONCURRENCY: SearchRule = { start: 1, limit: 1024, integer: true };

describe('find-max: stepping then bisecting', () => {
  it('doubles until a level misses, then bisects to the highest level that meets the threshold', async () => {
    // latency = 1000 * max(1, c/5) ms: c <= 12 stays under 2500 ms, c = 13 does not.
    const s = scripted(5, 2500);
    const r = await findMax(CONCURRENCY, RULE, s.measure);
    assert.equal(r.answer, 12);
    assert.equal(r.firstMiss, 13);
    assert.deepEqual(
      r.levels.map((l) => [l.value, l.phase, l.verdict]),
      [
        [1, 'step', 'pass'],
        [2, 'step', 'pass'],
        [4, 'step', 'pass'],
        [8, 'step', 'pass'],
        [16, 'step', 'fail'],
        [12, 'bisect', 'pass'],
        [14, 'bisect', 'fail'],
        [13, 'bisect', 'fail'],
      ],
    );
    // Three windows at every level: each settled at once.
    assert.equal(s.calls.length, 3 * r.levels.length);
    assert.deepEqual(s.calls.slice(0, 4), [
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
    ]);
  });

  it('has no answer when the first level misses, and stops at the limit when nothing does', async () => {
    const none = await findMax(CONCURRENCY, RULE, scripted(1, 500).measure);
    assert.equal(none.answer, undefined);
    assert.equal(none.levels.length, 1);
    assert.match(none.reason, /first level \(1\)/);
    const all = await findMax({ start: 1, limit: 6, integer: true }, RULE, scripted(100, 1e9).measure);
    assert.equal(all.answer, 6);
    assert.deepEqual(
      all.levels.map((l) => l.value),
      [1, 2, 4, 6],
    );
    assert.match(all.reason, /may be higher/);
  });

  it('never answers with an unstable level', async () => {
    // Every window swings 30%: no level settles; the answer is none, after --max-windows at level 1.
    const s = scripted(100, 1e9, [1, 1.3]);
    const r = await findMax(CONCURRENCY, RULE, s.measure);
    assert.equal(r.answer, undefined);
    assert.equal(r.levels[0]?.verdict, 'unstable');
    assert.equal(s.calls.length, RULE.maxWindows);
  });

  it('bisects a rate to within 10% of the answer', async () => {
    // Rates: latency = 1000 * max(1, rate/2): under 1500 ms below 3/s.
    const r = await findMax({ start: 0.5, limit: 1000, integer: false }, RULE, scripted(2, 1500).measure);
    const answer = r.answer as number;
    const miss = r.firstMiss as number;
    assert.ok(answer < 3 && miss >= 3, `${answer} .. ${miss}`);
    assert.ok(miss - answer <= answer * 0.1, `${answer} .. ${miss}`);
    assert.deepEqual(
      r.levels.filter((l) => l.phase === 'step').map((l) => l.value),
      [0.5, 1, 2, 4],
    );
  });

  it('stops when the signal is aborted and keeps what it measured', async () => {
    const controller = new AbortController();
    const s = scripted(5, 2500);
    const r = await findMax(
      CONCURRENCY,
      RULE,
      async (v, w) => {
        if (v === 4) controller.abort();
        return s.measure(v, w);
      },
      controller.signal,
    );
    assert.equal(r.answer, 2);
    assert.match(r.reason, /interrupted/);
  });
});
