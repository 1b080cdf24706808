import type { FindMaxResult } from '../find-max/search.js';

const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

/** summary.json's `findMax`: the answer, then every level tried in order with its windows and verdict. */
export function findMaxDoc(r: FindMaxResult): unknown {
  return {
    answer: r.answer ?? null,
    firstMiss: r.firstMiss ?? null,
    reason: r.reason,
    levels: r.levels.map((l) => ({
      value: l.value,
      phase: l.phase,
      verdict: l.verdict,
      why: l.why,
      throughputSpreadPct: finite(l.throughputSpreadPct),
      latencySpreadPct: finite(l.latencySpreadPct),
      windows: l.windows.map((w) => ({ ...w, latencyMeanMs: finite(w.latencyMeanMs) })),
    })),
  };
}

/** The search as the report shows it: one row per level tried, in the order it was tried. */
export function findMaxSection(r: FindMaxResult | undefined): string {
  if (r === undefined) return '';
  const rows = r.levels.map((l, i) => {
    const windows = l.windows
      .map((w) => `${f(w.throughputRps, 2)}/s · ${f(w.latencyMeanMs, 0)} ms${w.thresholdsPassed ? '' : ' ✗'}`)
      .join('<br>');
    return `<tr class="${l.verdict === 'pass' ? 'pass' : 'fail'}"><td>${i + 1}</td><td>${esc(l.phase)}</td><td>${l.value}</td><td>${l.verdict}</td><td>${l.windows.length}</td><td>${f(l.throughputSpreadPct)}%</td><td>${f(l.latencySpreadPct)}%</td><td>${windows}</td><td>${esc(l.why)}</td></tr>`;
  });
  const answer = r.answer === undefined ? 'no level met every threshold' : `answer: <strong>${r.answer}</strong>`;
  return `<h2>Find the maximum</h2>
<p>${answer} (${esc(r.reason)}). Doubling from the start until a level missed, then bisecting. A level counts once 3 successive windows agree on throughput and mean latency (max/min within --stability-percent); ✗ marks a window where a threshold failed.</p>
<table><tr><th>step</th><th>phase</th><th>level</th><th>verdict</th><th>windows</th><th>throughput spread</th><th>latency spread</th><th>each window: req/s · mean latency</th><th>why</th></tr>${rows.join('\n')}</table>`;
}
